"""python manage.py catch_up_events [--every SECONDS] [--since ISO-TIME]"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from accounts.errors import GatehouseError
from workos_integration.events import catch_up


class Command(BaseCommand):
    help = "Apply the WorkOS events webhooks missed (Events API, from the stored cursor). Safe to run any time."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=int, default=0, help="Run again every SECONDS (a sidecar process), instead of once."
        )
        parser.add_argument(
            "--since",
            default="",
            help="On a first run (no cursor yet): start at this ISO 8601 time, not at the oldest event WorkOS keeps.",
        )

    def handle(self, *args, every, since, **options):
        start = parse_datetime(since) if since else None
        if since and (start is None or start.tzinfo is None):
            raise CommandError("--since must be an ISO 8601 time with a timezone, e.g. 2026-12-01T00:00:00Z")
        if every < 0:
            raise CommandError("--every must be a number of seconds")
        while True:
            try:
                self.stdout.write(str(catch_up(since=start)))
            except GatehouseError as exc:
                if not every:
                    raise CommandError(f"Could not read WorkOS events: {exc.message} ({exc.code})") from None
                self.stderr.write(
                    f"Could not read WorkOS events: {exc.message} ({exc.code}); trying again in {every} s"
                )
            if not every:
                return
            time.sleep(every)
