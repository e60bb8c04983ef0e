"""A local mirror of WorkOS organizations and SSO connections. WorkOS is the source of truth:
these rows are written only by sync (sso.sync) and webhooks (sso.webhooks)."""

from django.db import models


def domain_index(domains):
    """` a.test b.test ` so that one domain can be matched exactly with a `contains` lookup."""
    return " " + " ".join(sorted({d.lower() for d in domains})) + " " if domains else ""


class WorkOSMirror(models.Model):
    """What every mirrored WorkOS object has: its id, name, domains and timestamps."""

    workos_id = models.CharField("WorkOS id", max_length=64, unique=True)
    name = models.CharField(max_length=255)
    domains = models.JSONField(default=list, blank=True)
    # for the admin's search (LIKE '% a.test %', which no b-tree index serves: none is kept); sign-in
    # finds an organization by domain through OrganizationDomain
    domain_index = models.CharField(max_length=2000, blank=True, editable=False)
    workos_created_at = models.DateTimeField(null=True)
    workos_updated_at = models.DateTimeField(null=True)
    last_synced_at = models.DateTimeField()

    class Meta:
        abstract = True
        ordering = ["name"]


class Organization(WorkOSMirror):
    domains = models.JSONField(default=list, blank=True, help_text="Verified domains.")

    class Meta(WorkOSMirror.Meta):
        pass

    def __str__(self):
        return self.name


class OrganizationDomain(models.Model):
    """One verified email domain of a mirrored organization, lower-cased: SSO sign-in by work email
    finds the organization through this table's index (sso.mirror.store_domains keeps it)."""

    # indexed by the unique constraint, whose first column it is
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domain_rows", db_index=False)
    domain = models.CharField(max_length=255, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "domain"], name="sso_organization_domain_once")]

    def __str__(self):
        return self.domain


class Connection(WorkOSMirror):
    connection_type = models.CharField("type", max_length=64)
    state = models.CharField(max_length=32)
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="connections")
    organization_workos_id = models.CharField("WorkOS organization id", max_length=64, blank=True)

    class Meta(WorkOSMirror.Meta):
        permissions = [("sync_connections", "Can sync SSO connections from WorkOS")]

    def __str__(self):
        return f"{self.name} ({self.connection_type})"


class WebhookEvent(models.Model):
    """Events already processed, so a redelivered event changes nothing."""

    event_id = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)  # kept 30 days (webhooks.forget_old)

    class Meta:
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

    def __str__(self):
        return f"Events read up to {self.last_event_at or 'the start'}"


class Tombstone(models.Model):
    """A WorkOS object that WorkOS deleted: a late `*.updated` event or a sync page fetched before
    the deletion never brings it back (WorkOS never reuses an id)."""

    workos_id = models.CharField("WorkOS id", max_length=64, unique=True)
    kind = models.CharField(max_length=32)
    deleted_at = models.DateTimeField(db_index=True)  # kept 30 days (webhooks.forget_old)

    class Meta:
        ordering = ["-deleted_at"]

    def __str__(self):
        return f"{self.kind} {self.workos_id} (deleted)"


def bury(kind, workos_id, when):
    Tombstone.objects.get_or_create(workos_id=workos_id, defaults={"kind": kind, "deleted_at": when})
