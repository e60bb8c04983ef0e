"""The event pipeline's models moved to workos_integration, their tables unchanged: only Django's
state moves (workos_integration 0001 takes them over)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('sso', '0006_organization_domains'),
        ('workos_integration', '0001_initial'),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=[
        migrations.DeleteModel(
            name='EventCursor',
        ),
        migrations.DeleteModel(
            name='Tombstone',
        ),
        migrations.DeleteModel(
            name='WebhookEvent',
        ),
    ], database_operations=[])]
