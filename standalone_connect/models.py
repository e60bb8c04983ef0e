from django.conf import settings
from django.db import models


class ConnectAttempt(models.Model):
    """One try at completing a Standalone Connect sign-in: who, when, and how it ended."""

    class Outcome(models.TextChoices):
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="connect_attempts"
    )
    external_auth_id = models.CharField(max_length=128, db_index=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    error_code = models.CharField("WorkOS error code", max_length=64, blank=True)
    message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user} {self.outcome} {self.created_at:%Y-%m-%d %H:%M}"
