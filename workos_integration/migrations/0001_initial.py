"""The tables the event pipeline kept from the `sso` app (created by its migrations 0001-0006):
only Django's state is created here."""

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('sso', '0006_organization_domains'),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=[
        migrations.CreateModel(
            name='EventCursor',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(default='workos', max_length=32, unique=True)),
                ('last_event_id', models.CharField(blank=True, max_length=64)),
                ('last_event_at', models.DateTimeField(blank=True, null=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'db_table': 'sso_eventcursor',
            },
        ),
        migrations.CreateModel(
            name='Tombstone',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('workos_id', models.CharField(max_length=64, unique=True, verbose_name='WorkOS id')),
                ('kind', models.CharField(max_length=32)),
                ('deleted_at', models.DateTimeField(db_index=True)),
            ],
            options={
                'db_table': 'sso_tombstone',
                'ordering': ['-deleted_at'],
            },
        ),
        migrations.CreateModel(
            name='WebhookEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event_id', models.CharField(max_length=64, unique=True)),
                ('event', models.CharField(max_length=100)),
                ('received_at', models.DateTimeField(auto_now_add=True, db_index=True)),
            ],
            options={
                'db_table': 'sso_webhookevent',
                'ordering': ['-received_at'],
            },
        ),
    ], database_operations=[])]
