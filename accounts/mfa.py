"""A person's second factor beyond the authenticator WorkOS holds: one-time recovery codes, and
removing their WorkOS authenticators (after a recovery, or when staff reset their MFA).

Recovery codes are made when a person finishes setting up an authenticator (and on their
account page), shown once, and kept only as keyed hashes: ten random codes of 50 bits each, so a
keyed SHA-256 is enough (a slow password hash would only slow the check down). A code is spent by
one conditional UPDATE: two requests with the same code cannot both use it.
"""

import secrets
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts import audit
from accounts.errors import ProviderError
from accounts.models import AuditEvent, RecoveryCode, User
from workos_integration import client as workos_client

COUNT = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i)
_KEY_SALT = "gatehouse.mfa.recovery-code"


def _normalized(code: str) -> str:
    return "".join(ch for ch in str(code or "").lower() if ch.isalnum())


def _digest(code: str) -> str:
    return salted_hmac(_KEY_SALT, _normalized(code), algorithm="sha256").hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def looks_like_recovery_code(value: str) -> bool:
    """A recovery code, not an authenticator's digits (forms take either in one field)."""
    normalized = _normalized(value)
    return len(normalized) == 10 and not normalized.isdigit()


def issue_recovery_codes(user: Any, *, request: HttpRequest | None = None) -> list[str]:
    """Ten new codes for `user` (a User or an access token's user), replacing any they had:
    returned this once, stored as hashes."""
    codes = [_new_code() for _ in range(COUNT)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user_id=user.pk).delete()
        RecoveryCode.objects.bulk_create(RecoveryCode(user_id=user.pk, digest=_digest(code)) for code in codes)
        audit.record(AuditEvent.Kind.RECOVERY_CODES_CREATED, user=user, request=request)
    return codes


def remaining_recovery_codes(user: Any) -> int:
    return RecoveryCode.objects.filter(user_id=user.pk, used_at__isnull=True).count()


def spend_recovery_code(user: User, code: str) -> int | None:
    """Spend `code` if it is one of `user`'s unused codes: its row id (to give it back if what it
    was spent on fails), else None."""
    if not looks_like_recovery_code(code):
        return None
    unused = RecoveryCode.objects.filter(user_id=user.pk, digest=_digest(code), used_at__isnull=True)
    row = unused.values_list("id", flat=True).first()
    if row is None or not RecoveryCode.objects.filter(id=row, used_at__isnull=True).update(used_at=timezone.now()):
        return None
    return row


def give_back_recovery_code(row: int) -> None:
    RecoveryCode.objects.filter(id=row).update(used_at=None)


def remove_authenticators(workos_user_id: str) -> int:
    """Delete every authentication factor WorkOS holds for the person; how many there were."""
    if not workos_user_id:
        return 0
    mfa = workos_client.client().multi_factor_auth
    factors = workos_client.call("list the authenticators", mfa.list_user_auth_factors, workos_user_id, limit=100)
    removed = 0
    for factor in factors.data:
        try:
            workos_client.call("remove an authenticator", mfa.delete_factor, factor.id, expect_result=False)
        except ProviderError as exc:
            if exc.status != 404:  # already gone is what we wanted
                raise
        removed += 1
    return removed


def reset(user: User, *, actor: User | None = None, request: HttpRequest | None = None) -> int:
    """Staff's reset of a person's MFA: their WorkOS authenticators and recovery codes are gone;
    they set up a new authenticator at their next sign-in that asks for one."""
    removed = remove_authenticators(user.workos_user_id or "")
    with transaction.atomic():
        RecoveryCode.objects.filter(user_id=user.pk).delete()
        audit.record(
            AuditEvent.Kind.MFA_RESET,
            user=user,
            request=request,
            by=getattr(actor, "email", ""),
            authenticators_removed=removed,
        )
    return removed
