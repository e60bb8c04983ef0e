"""WorkOS Directory Sync and organization memberships, mirrored (read-only: written by
directory.sync and by events), and the admin-edited mapping of WorkOS roles and directory groups
to Django groups."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models


class Mirrored(models.Model):
    workos_id = models.CharField("WorkOS id", max_length=64, unique=True)
    workos_created_at = models.DateTimeField(null=True, blank=True)
    workos_updated_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField()

    class Meta:
        abstract = True


class Directory(Mirrored):
    name = models.CharField(max_length=255)
    directory_type = models.CharField("type", max_length=64)
    state = models.CharField(max_length=32)
    organization_workos_id = models.CharField("WorkOS organization id", max_length=64, db_index=True)
    domain = models.CharField(max_length=253, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "directories"
        permissions = [("sync_directories", "Can sync directories from WorkOS")]

    def __str__(self):
        return f"{self.name} ({self.directory_type})"


class DirectoryGroup(Mirrored):
    directory_workos_id = models.CharField("WorkOS directory id", max_length=64, db_index=True)
    organization_workos_id = models.CharField("WorkOS organization id", max_length=64)
    name = models.CharField(max_length=255)
    idp_id = models.CharField("identity provider id", max_length=255, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class DirectoryUser(Mirrored):
    directory_workos_id = models.CharField("WorkOS directory id", max_length=64, db_index=True)
    organization_workos_id = models.CharField("WorkOS organization id", max_length=64)
    idp_id = models.CharField("identity provider id", max_length=255, blank=True)
    email = models.CharField(max_length=254, blank=True, db_index=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    state = models.CharField(max_length=32, help_text="active, suspended or inactive: only active people keep access.")
    role = models.CharField(max_length=64, blank=True)
    groups = models.ManyToManyField(DirectoryGroup, blank=True, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="directory_users",
        help_text="The Gatehouse user this person is (same email, in this directory's organization).",
    )

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email or self.workos_id


class Membership(Mirrored):
    """A WorkOS organization membership: its status decides access to that organization, its
    role (with RoleMapping) the user's Django groups."""

    user_workos_id = models.CharField("WorkOS user id", max_length=64, db_index=True)
    organization_workos_id = models.CharField("WorkOS organization id", max_length=64)
    role = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=32)

    class Meta:
        ordering = ["-workos_updated_at"]

    def __str__(self):
        return f"{self.user_workos_id} in {self.organization_workos_id} ({self.role or 'no role'}, {self.status})"


class RoleMapping(models.Model):
    """People with this WorkOS role (or in this directory group) are in this Django group; people
    without it are taken out of it. Groups no mapping names are never touched, except once: when
    their last mapping goes, the accounts WorkOS decided for leave them."""

    class Source(models.TextChoices):
        ROLE = "role", "WorkOS organization role (slug)"
        DIRECTORY_GROUP = "directory_group", "Directory group (name)"

    source = models.CharField(max_length=16, choices=Source.choices, default=Source.ROLE)
    value = models.CharField(
        max_length=255, help_text="The role slug (e.g. admin) or the directory group's name (e.g. Engineering)."
    )
    organization_workos_id = models.CharField(
        "WorkOS organization id",
        max_length=64,
        blank=True,
        help_text="Only in this organization (org_...); empty: in any.",
    )
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="workos_mappings")

    class Meta:
        ordering = ["source", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "value", "organization_workos_id", "group"], name="directory_rolemapping_unique"
            )
        ]

    def __str__(self):
        where = f" in {self.organization_workos_id}" if self.organization_workos_id else ""
        return f"{self.get_source_display()} {self.value}{where} -> {self.group}"
