"""The one verifier for JWTs that other parties sign: Google/Okta ID tokens (accounts.signin.oidc) and
the access tokens AuthKit issues to Connect applications (standalone_connect.authentication).

- Algorithms are pinned by the caller (RS256); `alg: none`, HMAC with a public key and anything
  else is refused before a key is looked at.
- Keys come from the party's JWKS URL, cached for OIDC_JWKS_CACHE_SECONDS. A token whose `kid`
  we do not have, or (without a `kid`) whose signature fails against the one published key,
  causes one refetch, at most once per KEY_REFETCH_COOLDOWN per key set: a key rotation is
  picked up at once, a flood of forged tokens costs the party no more than that.
- Issuer, audience, expiry, not-before and issued-at are checked with a leeway.

`verify()` returns the claims or raises `Rejected` with a `reason`; callers map reasons to their
own error codes.
"""

import functools
import threading
import time

import jwt
from django.core.signals import setting_changed

from accounts.conf import app_settings

KEY_REFETCH_COOLDOWN = 30
LEEWAY_SECONDS = 30


class Rejected(Exception):
    """Why a token was refused. Reasons: malformed, algorithm, unknown_key, keys_unavailable,
    signature, expired, not_yet_valid, audience, issuer, missing_claim, invalid."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class KeySet:
    """One party's published keys."""

    def __init__(self, url):
        # Only ever asked for the whole set, so PyJWKClient's own unknown-kid refetch never
        # runs: the refetch policy is ours, the same with or without a kid.
        self._client = jwt.PyJWKClient(
            url,
            cache_jwk_set=True,
            lifespan=app_settings.OIDC_JWKS_CACHE_SECONDS,
            timeout=app_settings.OIDC_HTTP_TIMEOUT,
        )
        self._lock = threading.Lock()
        self._refetched_at = float("-inf")

    def keys(self, *, refresh=False):
        try:
            return self._client.get_signing_keys(refresh=refresh)
        except jwt.PyJWKClientConnectionError:
            raise Rejected("keys_unavailable") from None
        except jwt.PyJWKClientError:
            return []  # a set with no usable signing key

    def may_refetch(self):
        with self._lock:
            now = time.monotonic()
            if now - self._refetched_at < KEY_REFETCH_COOLDOWN:
                return False
            self._refetched_at = now
            return True

    def candidates(self, kid, *, refresh=False):
        """The key for `kid`, or (no kid) the only published key; [] when there is none."""
        keys = self.keys(refresh=refresh)
        if kid:
            return [k for k in keys if k.key_id == kid]
        # OpenID Connect Core 10.1: without `kid`, the party must publish exactly one key.
        return keys if len(keys) == 1 else []


@functools.cache
def key_set(url):
    return KeySet(url)


setting_changed.connect(lambda **kwargs: key_set.cache_clear())

_REASONS = (
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.ImmatureSignatureError, "not_yet_valid"),
    (jwt.InvalidAudienceError, "audience"),
    (jwt.InvalidIssuerError, "issuer"),
    (jwt.InvalidSignatureError, "signature"),
    (jwt.InvalidAlgorithmError, "algorithm"),
    (jwt.MissingRequiredClaimError, "missing_claim"),
)


def _decode(token, key, *, algorithms, issuer, audience, require):
    try:
        return jwt.decode(
            token,
            key.key,
            algorithms=algorithms,
            issuer=issuer,
            audience=audience,
            leeway=LEEWAY_SECONDS,
            options={"require": list(require), "verify_aud": audience is not None},
        )
    except jwt.PyJWTError as exc:
        raise Rejected(next((reason for kind, reason in _REASONS if isinstance(exc, kind)), "invalid")) from None


def verify(token, keys, *, algorithms=("RS256",), issuer, audience=None, require=("exp", "iat", "iss", "sub")):
    """The claims of `token` signed by one of `keys` (a KeySet), or Rejected."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Rejected("malformed") from None
    if header.get("alg") not in algorithms:
        raise Rejected("algorithm")
    kid = header.get("kid")
    check = dict(algorithms=list(algorithms), issuer=issuer, audience=audience, require=require)
    found = keys.candidates(kid)
    claims = None
    if found:
        try:
            claims = _decode(token, found[0], **check)
        except Rejected as exc:
            # without a kid, a rotated key looks like a bad signature
            if exc.reason != "signature" or kid:
                raise
    if claims is None:
        if not keys.may_refetch():
            raise Rejected("signature" if found else "unknown_key")
        found = keys.candidates(kid, refresh=True)
        if not found:
            raise Rejected("unknown_key")
        claims = _decode(token, found[0], **check)
    if isinstance(claims.get("iat"), (int, float)) and claims["iat"] > time.time() + LEEWAY_SECONDS:
        raise Rejected("not_yet_valid")
    return claims
