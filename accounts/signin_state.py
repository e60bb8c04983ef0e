"""OAuth `state` for AuthKit and SSO round trips: signed, short-lived, single-use, shared by all
app instances (a database row, not process memory).

The value handed to the browser is `<random id>:<timestamp>:<signature>` (django.core.signing),
so a forged or expired state is refused before the database is touched; the row holds the flow
kind, the PKCE verifier, the redirect URI and the `next` URL, and is deleted when used.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone

from accounts.errors import InvalidSignInRequest
from accounts.models import SignInState

_SALT = "gatehouse.signin-state"
_MAX_OPEN_STATES = 10_000  # prune beyond this; a flood of abandoned sign-ins can't grow the table forever


def _signer():
    return signing.TimestampSigner(salt=_SALT)


def create(*, flow, redirect_uri, code_verifier="", next_url="", extra=None):
    state_id = secrets.token_urlsafe(24)
    SignInState.objects.create(
        id=state_id, flow=flow, redirect_uri=redirect_uri, code_verifier=code_verifier, next_url=next_url, extra=extra or {}
    )
    prune()
    return _signer().sign(state_id)


def consume(value):
    """Return the SignInState for `value` and delete it; raise InvalidSignInRequest otherwise."""
    if not value or not isinstance(value, str):
        raise InvalidSignInRequest("The sign-in state is missing.", code="state_missing")
    max_age = settings.GATEHOUSE_SIGNIN_STATE_MAX_AGE
    try:
        state_id = _signer().unsign(value, max_age=max_age)
    except signing.SignatureExpired:
        SignInState.objects.filter(id=value.split(":", 1)[0]).delete()
        raise InvalidSignInRequest("The sign-in took too long. Start again.", code="state_expired") from None
    except signing.BadSignature:
        raise InvalidSignInRequest("The sign-in state is not one we issued.", code="state_invalid") from None
    state = SignInState.objects.filter(id=state_id).first()
    # The delete is the single-use guard: of two concurrent callbacks with one state, only the
    # one whose DELETE removes the row goes on.
    if state is None or SignInState.objects.filter(id=state_id).delete()[0] != 1:
        raise InvalidSignInRequest("This sign-in state was already used. Start again.", code="state_already_used")
    return state


def prune():
    cutoff = timezone.now() - timedelta(seconds=settings.GATEHOUSE_SIGNIN_STATE_MAX_AGE)
    SignInState.objects.filter(created_at__lt=cutoff).delete()
    excess = SignInState.objects.order_by("-created_at").values_list("created_at", flat=True)[_MAX_OPEN_STATES : _MAX_OPEN_STATES + 1]
    if excess:
        SignInState.objects.filter(created_at__lte=excess[0]).delete()
