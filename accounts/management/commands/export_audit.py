"""python manage.py export_audit [--format csv|jsonl] [--kind K] [--email E] [--since DATE] > file"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts import audit_export
from accounts.models import AuditEvent


class Command(BaseCommand):
    help = "Write the audit trail (oldest first, optionally filtered) as CSV or JSON Lines to standard output."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
        parser.add_argument("--kind", action="append", choices=AuditEvent.Kind.values, help="repeatable")
        parser.add_argument("--email", help="events about this email address")
        parser.add_argument("--since", help="a date (2026-12-01) or an ISO time")

    def handle(self, *args, format, kind, email, since, **options):
        events = AuditEvent.objects.order_by("created_at")
        if kind:
            events = events.filter(kind__in=kind)
        if email:
            events = events.filter(email__iexact=email.strip())
        if since:
            moment = parse_datetime(since)
            day = parse_date(since) if moment is None else None
            if day is not None:  # midnight, in the server's time zone
                moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
            if moment is None:
                raise CommandError(f"--since {since!r} is not a date or time (2026-12-01, 2026-12-01T09:00:00Z).")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            events = events.filter(created_at__gte=moment)
        write = audit_export.as_csv if format == "csv" else audit_export.as_jsonl
        for chunk in write(events.iterator()):
            self.stdout.write(chunk, ending="")
