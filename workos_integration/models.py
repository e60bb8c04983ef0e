"""What the event pipeline remembers: events applied (each once), how far the Events API has been
read, and the WorkOS objects WorkOS deleted. The tables kept the names they had when the
pipeline lived in `sso` (see migrations/0001_initial.py)."""

from django.db import models


class WebhookEvent(models.Model):
    """Events already processed, so a redelivered event changes nothing."""

    event_id = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)  # kept 30 days (events.forget_old)

    class Meta:
        db_table = "sso_webhookevent"
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.event} {self.event_id}"


class EventCursor(models.Model):
    """How far the Events API has been read (catch_up_events): the time of the last event
    applied. The next run asks from there; events seen twice are applied once (WebhookEvent)."""

    name = models.CharField(max_length=32, unique=True, default="workos")
    last_event_id = models.CharField(max_length=64, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "sso_eventcursor"

    def __str__(self):
        return f"Events read up to {self.last_event_at or 'the start'}"


class Tombstone(models.Model):
    """A WorkOS object that WorkOS deleted: a late `*.updated` event or a sync page fetched before
    the deletion never brings it back (WorkOS never reuses an id)."""

    workos_id = models.CharField("WorkOS id", max_length=64, unique=True)
    kind = models.CharField(max_length=32)
    deleted_at = models.DateTimeField(db_index=True)  # kept 30 days (events.forget_old)

    class Meta:
        db_table = "sso_tombstone"
        ordering = ["-deleted_at"]

    def __str__(self):
        return f"{self.kind} {self.workos_id} (deleted)"


def bury(kind, workos_id, when):
    Tombstone.objects.get_or_create(workos_id=workos_id, defaults={"kind": kind, "deleted_at": when})
