"""python manage.py align_groups"""

from django.core.management.base import BaseCommand

from directory.access import align_everyone


class Command(BaseCommand):
    help = (
        "Bring every account's mapped Django groups in line with WorkOS roles and directory groups "
        "(after role mappings changed)."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{align_everyone()} account(s) changed.")
