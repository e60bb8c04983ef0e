"""python manage.py sync_directories"""

from django.core.management.base import BaseCommand, CommandError

from accounts.errors import GatehouseError
from directory.sync import sync_directories


class Command(BaseCommand):
    help = "Mirror WorkOS directories, directory groups and users; people WorkOS no longer lists lose access."

    def handle(self, *args, **options):
        try:
            report = sync_directories()
        except GatehouseError as exc:
            raise CommandError(f"Sync failed, nothing was removed: {exc.message} ({exc.code})") from None
        self.stdout.write(f"Synced from WorkOS: {report}.")
