"""Read the WorkOS Events API from where the last run stopped and apply what the webhooks missed
(Gatehouse was down, a delivery was dropped). Each event goes through the same pipeline as a
webhook (sso.webhooks.process): an event applied by either path is not applied again.

The cursor is the time of the last event applied: the next run asks for events from that moment
on (those seen again are duplicates, skipped), so a cursor event WorkOS has since dropped from
its 30-day window never stalls the reading.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.utils.dateparse import parse_datetime

from accounts import workos_client
from sso import webhooks
from sso.models import EventCursor

log = logging.getLogger(__name__)
PAGE_SIZE = 100


@dataclass
class CatchUpReport:
    outcomes: dict = field(default_factory=dict)
    last_event_at: object = None
    forgotten: int = 0  # records of old events and tombstones removed (webhooks.forget_old)

    @property
    def read(self):
        return sum(self.outcomes.values())

    def __str__(self):
        counts = ", ".join(f"{count} {outcome}" for outcome, count in sorted(self.outcomes.items())) or "nothing new"
        forgotten = f"; {self.forgotten} records older than {webhooks.RETENTION.days} days forgotten" if self.forgotten else ""
        return f"{self.read} events read ({counts}); cursor at {self.last_event_at or 'the start'}{forgotten}"


def _zulu(moment):
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def catch_up(since=None):
    """Apply every handled event since the stored cursor (or `since`, an aware datetime, on a
    first run). A WorkOS failure stops the run with the cursor at the last event applied; an
    event whose data does not validate is logged and passed over, as its webhook would be."""
    cursor, _ = EventCursor.objects.get_or_create(name="workos")
    start = cursor.last_event_at or since
    wos = workos_client.client()
    params = {"events": webhooks.handled_types(), "limit": PAGE_SIZE, "order": "asc"}
    if start is not None:
        params["range_start"] = _zulu(start)
    report = CatchUpReport(last_event_at=cursor.last_event_at)
    page = workos_client.call("list events", wos.events.list_events, **params)
    for event in workos_client.paged(page, "list events"):
        raw = event.to_dict() if hasattr(event, "to_dict") else dict(event)
        if raw["id"] == cursor.last_event_id:
            continue  # where the last run stopped (the range starts at its time)
        try:
            outcome = webhooks.process({"id": raw["id"], "event": raw["event"], "data": raw.get("data") or {}})
        except webhooks.WebhookRejected as exc:
            log.warning("Event %s (%s) could not be applied: %s", raw.get("id"), raw.get("event"), exc.message)
            outcome = "rejected"
        report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
        created = raw.get("created_at")
        created = created if isinstance(created, dt.datetime) else parse_datetime(str(created or ""))
        if created is not None:
            EventCursor.objects.filter(pk=cursor.pk).update(last_event_id=raw["id"], last_event_at=created)
            report.last_event_at = created
    report.forgotten = webhooks.forget_old()
    return report
