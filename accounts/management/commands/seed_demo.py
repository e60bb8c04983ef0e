from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from workos_integration.conf import app_settings as workos_settings

DEMO_USERS = [
    # email, password, staff, first, last
    ("admin@example.com", "gatehouse-demo-admin", True, "Ada", "Admin"),
    ("pat@example.com", "gatehouse-demo-pat", False, "Pat", "Password"),
]


class Command(BaseCommand):
    help = "Create the demo users (development only) and print how to sign in."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG=true: it creates users with known passwords.")
        for email, password, staff, first, last in DEMO_USERS:
            user, created = User.objects.get_or_create(email=email, defaults={"first_name": first, "last_name": last})
            if created or not user.check_password(password):
                user.set_password(password)
            user.is_staff = user.is_superuser = staff
            user.is_active = True
            user.save()
        self.stdout.write("Demo sign-ins:")
        self.stdout.write("  admin (superuser): admin@example.com / gatehouse-demo-admin  -> /admin/")
        self.stdout.write("  password user:     pat@example.com / gatehouse-demo-pat")
        base = workos_settings.WORKOS_BASE_URL.rstrip("/")
        self.stdout.write(
            "  WorkOS (emulator), with 'Continue with WorkOS' on /auth/login (the emulator's sign-in page):"
        )
        self.stdout.write("    alice@example.com / demo-password-alice, carol@acme.test / demo-password-carol")
        self.stdout.write(
            "    frank@example.com / demo-password-frank   sets up an authenticator app (MFA) and gets recovery codes;"
        )
        self.stdout.write(
            "                                              next time, one of them replaces a lost authenticator"
        )
        self.stdout.write("    grace@example.com / demo-password-grace   verifies her email address with a code")
        self.stdout.write("    henry@example.com / demo-password-henry   chooses between two organizations")
        self.stdout.write(
            "  Their demo passwords also work in the Password field of /auth/login ('Forgot your password?' there"
        )
        self.stdout.write("  resets one: the link lands in the emulator's outbox below)")
        self.stdout.write("  Emailed sign-in code: any of them, 'Email me a sign-in code' on /auth/login")
        self.stdout.write(f"  Codes and links WorkOS would email: {base}/_emulator/mail")
        self.stdout.write("  CLI by device code:  python examples/cli.py --base-url <this app's URL>")
        self.stdout.write("  SSO (emulator):    dave@acme.test, carol@acme.test or erin@globex.test on /auth/sso")
        self.stdout.write(
            "  Organization API keys: carol@acme.test is an admin of Acme Corp (POST /api/organization/api-keys,"
        )
        self.stdout.write("                     docs/api.md); staff: /admin/organizations/organizationapikeys/")
        self.stdout.write(
            "  Directory sync:    sign in as ivy@acme.test / demo-password-ivy, then Remove (or Deactivate) her on"
        )
        self.stdout.write(
            f"                     {base}/_emulator/directory and reload: she is signed out, her account deactivated"
        )
