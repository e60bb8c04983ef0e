import datetime

from django.db import migrations, models


def from_extra(apps, schema_editor):
    """Sign-ins in progress keep what their `extra` held, now in fields of their own."""
    SignInState = apps.get_model("accounts", "SignInState")
    for state in SignInState.objects.exclude(extra={}):
        extra = state.extra or {}
        state.step = str(extra.get("step") or "")[:40]
        state.method = str(extra.get("method") or "")[:32]
        state.workos_user_id = str(extra.get("user_id") or "")[:64]
        state.email = str(extra.get("email") or "")[:254]
        state.organization_hint = str(extra.get("organization_hint") or "")[:64]
        state.factors = extra.get("factors") or []
        state.organizations = extra.get("organizations") or []
        state.factor_id = str(extra.get("factor_id") or "")[:64]
        state.challenge_id = str(extra.get("challenge_id") or "")[:64]
        state.secret = extra.get("token") or extra.get("device_code") or ""
        if extra.get("expires"):
            state.expires_at = datetime.datetime.fromtimestamp(float(extra["expires"]), tz=datetime.timezone.utc)
        state.save()


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0011_signin_state_races'),
    ]

    operations = [
        migrations.AddField(
            model_name='signinstate',
            name='challenge_id',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='signinstate',
            name='email',
            field=models.CharField(blank=True, max_length=254),
        ),
        migrations.AddField(
            model_name='signinstate',
            name='expires_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='signinstate',
            name='factor_id',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='signinstate',
            name='factors',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='signinstate',
            name='method',
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.AddField(
            model_name='signinstate',
            name='organization_hint',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='signinstate',
            name='organizations',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='signinstate',
            name='secret',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='signinstate',
            name='step',
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name='signinstate',
            name='workos_user_id',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(from_extra, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='signinstate',
            name='extra',
        ),
    ]
