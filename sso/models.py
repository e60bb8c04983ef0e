"""A local mirror of WorkOS organizations and SSO connections. WorkOS is the source of truth:
these rows are written only by sync (sso.sync) and WorkOS events (sso.events)."""

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
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="connections"
    )
    organization_workos_id = models.CharField("WorkOS organization id", max_length=64, blank=True)

    class Meta(WorkOSMirror.Meta):
        permissions = [("sync_connections", "Can sync SSO connections from WorkOS")]

    def __str__(self):
        return f"{self.name} ({self.connection_type})"
