"""python manage.py stream_audit [--every SECONDS]: send queued audit events to WorkOS Audit Logs."""

import time

from django.core.management.base import BaseCommand

from accounts import audit_stream


class Command(BaseCommand):
    help = "Send the audit events queued for WorkOS Audit Logs (GATEHOUSE_AUDIT_STREAM); --every repeats."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="seconds between runs (0: once)")

    def handle(self, *args, every, **options):
        while True:
            delivered, failed = audit_stream.deliver()
            self.stdout.write(f"Audit Logs: {delivered} delivered, {failed} to retry later.")
            if not every:
                return
            time.sleep(every)
