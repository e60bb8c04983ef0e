"""python manage.py start_demo: everything the demo needs before the server starts, in one process."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.errors import GatehouseError


class Command(BaseCommand):
    help = (
        "Prepare the demo in one process (each manage.py run pays Django's start-up once): migrate, "
        "the demo users, and the SSO and directory mirrors synced from the WorkOS emulator."
    )

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed_demo", stdout=self.stdout, stderr=self.stderr)
        for command, mirror in (("sync_sso", "SSO"), ("sync_directories", "Directory")):
            try:
                call_command(command, stdout=self.stdout, stderr=self.stderr)
            except (CommandError, GatehouseError) as exc:
                self.stderr.write(f"({mirror} mirror not synced: {exc}; use Sync now in the admin)")
