import sys

from django.core.management.base import BaseCommand, CommandError

from accounts.errors import GatehouseError
from sso.sync import sync_all


class Command(BaseCommand):
    help = "Mirror WorkOS organizations and SSO connections into the local database."

    def handle(self, *args, **options):
        interactive = sys.stdout.isatty()

        def progress(kind, seen):
            if interactive:
                self.stdout.write(f"\r{kind}: {seen} ", ending="")
                self.stdout.flush()

        try:
            report = sync_all(progress=progress)
        except GatehouseError as exc:
            raise CommandError(f"Sync failed, nothing was removed: {exc.message} ({exc.code})") from None
        if interactive:
            self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Synced: {report}"))
