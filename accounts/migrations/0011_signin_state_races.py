
from django.db import migrations, models


def from_extra(apps, schema_editor):
    """Sign-ins in progress keep their tries and their device pacing (they lived in `extra`)."""
    SignInState = apps.get_model("accounts", "SignInState")
    for state in SignInState.objects.filter(flow__in=["pending", "device"]):
        extra = state.extra or {}
        state.attempts = min(int(extra.pop("attempts", 0) or 0), 32767)
        state.interval = min(int(extra.pop("interval", 0) or 0), 32767)
        extra.pop("next_poll", None)
        state.save(update_fields=["attempts", "interval", "extra"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0010_indexes_without_like_twins'),
    ]

    operations = [
        migrations.AddField(
            model_name='signinstate',
            name='attempts',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='signinstate',
            name='busy_until',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='signinstate',
            name='interval',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='signinstate',
            name='not_before',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(from_extra, migrations.RunPython.noop),
    ]
