"""OAuth `state` for AuthKit and SSO round trips: signed, short-lived, single-use, shared by all
app instances (a database row, not process memory), and bound to the browser that started it.

The value handed out is `<random id>:<timestamp>:<signature>` (django.core.signing), so a forged
or expired state is refused before the database is touched; the row holds the flow kind, the
PKCE verifier, the redirect URI and the `next` URL, and is deleted when used.

Browser sign-ins (`/auth/...`) keep a random secret in the browser's Django session and store
its hash on the row: a state started in one browser is refused in any other, so nobody can sign
a victim into the attacker's account by sending them a callback link (login CSRF). States an
API client (SPA) started carry no binding; the SPA checks the state it gets back itself, and
such a state is never accepted by the browser callback.

Rows are pruned by age, and each browser keeps at most a few open sign-ins: there is no global
cap that a flood from strangers could fill to evict other people's sign-ins in progress.
"""

import contextlib
import hashlib
import hmac
import secrets
from datetime import timedelta

from django.core import signing
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from accounts.conf import app_settings
from accounts.errors import InvalidSignInRequest
from accounts.models import SignInState, returned, returning

_SALT = "gatehouse.signin-state"
_SESSION_KEY = "gatehouse_signin_binding"
# Open sign-ins per browser (several tabs at once); older ones are dropped beyond this.
MAX_OPEN_PER_BROWSER = 10


def _signer():
    return signing.TimestampSigner(salt=_SALT)


def _digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def _browser_binding(request, *, create):
    secret = request.session.get(_SESSION_KEY)
    if not secret and create:
        secret = request.session[_SESSION_KEY] = secrets.token_urlsafe(32)
    return _digest(secret) if secret else ""


def create(*, flow, redirect_uri="", next_url="", browser=None, **fields):
    """A new state of the `flow` kind, with that kind's `fields` (SignInState's). `browser` is the
    request of a browser sign-in, which the state is bound to."""
    binding = _browser_binding(browser, create=True) if browser is not None else ""
    state_id = secrets.token_urlsafe(24)
    SignInState.objects.create(
        id=state_id, flow=flow, redirect_uri=redirect_uri, next_url=next_url, binding=binding, **fields
    )
    prune(binding=binding)
    return _signer().sign(state_id)


def consume(value, *, browser=None):
    """Return the SignInState for `value` and delete it; raise InvalidSignInRequest otherwise.

    `browser` is the request of a browser callback: the state must have been started by it. API
    callbacks (no `browser`) accept only states an API client started.
    """
    state_id = _unsign(value, what="state", invalid="The sign-in state is not one we issued.")
    # One statement reads and deletes the row, and is the single-use guard: of two concurrent
    # callbacks with one state, only the one whose DELETE removed the row gets it back. A state
    # presented where it does not belong is burned too: it has left the client that started it.
    quote = connection.ops.quote_name
    table, pk = quote(SignInState._meta.db_table), quote(SignInState._meta.pk.column)
    sql = f"DELETE FROM {table} WHERE {pk} = %s {returning(SignInState)}"
    taken = returned(SignInState, sql, [state_id])
    if not taken:
        raise InvalidSignInRequest("This sign-in state was already used. Start again.", code="state_already_used")
    state = taken[0]
    _check_binding(
        state,
        browser,
        code="state_mismatch",
        message="This sign-in was not started in this browser. Start again from the sign-in page.",
    )
    return state


def load(value, *, flow, browser=None, what="pending_token"):
    """The SignInState of a multi-step sign-in (flow PENDING or DEVICE), kept for the next step.

    Unlike `consume`, the row stays: a wrong code may be retried. The caller `discard`s it when
    the sign-in ends. Errors name `what` the client sent: `<what>_missing`, `_invalid`,
    `_expired`, `_mismatch`.
    """
    state_id = _unsign(value, what=what, invalid="This sign-in step is not one we started.")
    state = SignInState.objects.filter(id=state_id, flow=flow).first()
    if state is None:
        raise InvalidSignInRequest("This sign-in has ended. Start again.", code=f"{what}_invalid")
    _check_binding(
        state,
        browser,
        code=f"{what}_mismatch",
        message="This sign-in was not started here. Start again from the sign-in page.",
    )
    return state


def _unsign(value, *, what, invalid):
    """The row id a signed value names; `<what>_missing`, `_expired` (the row is dropped) or
    `_invalid` otherwise. The signature is checked before the database is touched."""
    if not value or not isinstance(value, str):
        raise InvalidSignInRequest(f"The sign-in {what.replace('_', ' ')} is missing.", code=f"{what}_missing")
    try:
        return _signer().unsign(value, max_age=app_settings.GATEHOUSE_SIGNIN_STATE_MAX_AGE)
    except signing.SignatureExpired:
        SignInState.objects.filter(id=value.split(":", 1)[0]).delete()
        raise InvalidSignInRequest("The sign-in took too long. Start again.", code=f"{what}_expired") from None
    except signing.BadSignature:
        raise InvalidSignInRequest(invalid, code=f"{what}_invalid") from None


def _check_binding(state, browser, *, code, message):
    """A state bound to a browser works only in it; an unbound (API) state never in a browser."""
    expected = _browser_binding(browser, create=False) if browser is not None else ""
    if (browser is not None and not expected) or not hmac.compare_digest(state.binding, expected):
        raise InvalidSignInRequest(message, code=code)


# What a step may change in a loaded state: the MFA factor and challenge in progress.
_STEP_FIELDS = ("factor_id", "challenge_id")


def save(state):
    """Keep what a step changed in a loaded state."""
    SignInState.objects.filter(id=state.id).update(**{name: getattr(state, name) for name in _STEP_FIELDS})


# Parallel requests with one pending_token or device_code must not each get what one may: every
# function below is a single conditional UPDATE, so of two racing requests only one wins, on
# SQLite as on PostgreSQL, and no transaction is held open while WorkOS answers.


def take_attempt(state, limit):
    """Spend one of the `limit` tries of a pending step before asking WorkOS; the tries spent
    (including this one), or None when none were left."""
    if not SignInState.objects.filter(id=state.id, attempts__lt=limit).update(attempts=F("attempts") + 1):
        return None
    return SignInState.objects.filter(id=state.id).values_list("attempts", flat=True).first() or limit


def give_back_attempt(state):
    """A try WorkOS never judged (it failed or was busy) is not spent."""
    SignInState.objects.filter(id=state.id, attempts__gt=0).update(attempts=F("attempts") - 1)


def lease(state, seconds):
    """Hold the state for one request at a time (an MFA enrollment): the state as it is now, or
    None while another request holds it. `release` ends the lease early."""
    now = timezone.now()
    free = Q(busy_until__isnull=True) | Q(busy_until__lt=now)
    if not SignInState.objects.filter(free, id=state.id).update(busy_until=now + timedelta(seconds=seconds)):
        return None
    return SignInState.objects.filter(id=state.id).first()


def release(state):
    """End a lease, keeping what the holder changed."""
    SignInState.objects.filter(id=state.id).update(
        busy_until=None, **{name: getattr(state, name) for name in _STEP_FIELDS}
    )


def take_poll(state):
    """Claim a device code's poll: True when its interval has passed since the last one (the
    next may come one interval from now); False when this poll is too early."""
    now = timezone.now()
    due = Q(not_before__isnull=True) | Q(not_before__lte=now)
    return bool(SignInState.objects.filter(due, id=state.id).update(not_before=now + timedelta(seconds=state.interval)))


def slow_down(state):
    """Lengthen a device code's interval by 5 seconds (RFC 8628 3.5) and wait that long from now;
    returns the new interval."""
    SignInState.objects.filter(id=state.id).update(
        interval=F("interval") + 5, not_before=timezone.now() + timedelta(seconds=state.interval + 5)
    )
    return SignInState.objects.filter(id=state.id).values_list("interval", flat=True).first() or state.interval + 5


def discard(state):
    SignInState.objects.filter(id=state.id).delete()


def discard_value(value):
    """Burn the state a client sent back with an error: it has served its round trip."""
    with contextlib.suppress(InvalidSignInRequest):
        consume(value)


def prune(*, binding=""):
    """Drop states older than the maximum age, and a browser's oldest beyond its cap."""
    cutoff = timezone.now() - timedelta(seconds=app_settings.GATEHOUSE_SIGNIN_STATE_MAX_AGE)
    SignInState.objects.filter(created_at__lt=cutoff).delete()
    if binding:
        surplus = (
            SignInState.objects.filter(binding=binding)
            .order_by("-created_at")
            .values_list("id", flat=True)[MAX_OPEN_PER_BROWSER:]
        )
        surplus = list(surplus)
        if surplus:
            SignInState.objects.filter(id__in=surplus).delete()
