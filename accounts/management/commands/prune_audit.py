from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import AuditEvent, SignInState


class Command(BaseCommand):
    help = "Delete audit events older than --days (default 180) and stale sign-in states."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=180)

    def handle(self, *args, days, **options):
        if days < 1:
            self.stderr.write("--days must be at least 1")
            return
        cutoff = timezone.now() - timedelta(days=days)
        removed = AuditEvent.objects.filter(created_at__lt=cutoff).delete()[0]
        states = SignInState.objects.filter(created_at__lt=timezone.now() - timedelta(days=1)).delete()[0]
        self.stdout.write(f"Removed {removed} audit events older than {days} days and {states} stale sign-in states.")
