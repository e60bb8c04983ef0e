"""One OpenID Connect client; Google and Okta are two configurations of it.

For SPAs that got an authorization code from the provider themselves: we exchange the code at
the provider's token endpoint (once, no retry: a code is single-use), verify the ID token
(signature with the provider's cached keys, pinned algorithms, issuer, audience, expiry, nonce,
verified email, optional hosted domain) and return the proven identity.
"""

import logging
import threading
import time
from dataclasses import dataclass, field

import requests
from django.core.signals import setting_changed

from accounts import jwks
from accounts.conf import app_settings
from accounts.errors import InvalidSignInRequest, NotConfigured, ProviderError, ProviderUnavailable, SignInRefused
from accounts.signin.identity import Identity

log = logging.getLogger(__name__)

ALGORITHMS = ["RS256"]
GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")


TOKEN_AUTH_METHODS = ("client_secret_post", "client_secret_basic")


@dataclass(frozen=True)
class ProviderConfig:
    """One OpenID provider: from a discovery document, or from explicit endpoints."""

    name: str
    client_id: str
    client_secret: str
    allowed_redirect_uris: tuple
    discovery_url: str = ""
    issuer: str = ""
    token_endpoint: str = ""
    jwks_uri: str = ""
    authorization_endpoint: str = ""
    extra_issuers: tuple = ()
    hosted_domain: str = ""
    token_auth_method: str = "client_secret_post"

    @property
    def cache_key(self):
        return self.discovery_url or self.jwks_uri


@dataclass
class _Metadata:
    issuer: str
    token_endpoint: str
    keys: jwks.KeySet
    authorization_endpoint: str = ""
    fetched_at: float = field(default_factory=time.monotonic)


def provider_config(name):
    """The configuration for `google` or `okta`, or NotConfigured (501) when it is not set up."""
    if name == "google" and app_settings.GOOGLE_CLIENT_ID:
        return ProviderConfig(
            name="google",
            client_id=app_settings.GOOGLE_CLIENT_ID,
            client_secret=app_settings.GOOGLE_CLIENT_SECRET,
            discovery_url=app_settings.GOOGLE_DISCOVERY_URL,
            issuer=GOOGLE_ISSUERS[0],
            token_endpoint=app_settings.GOOGLE_TOKEN_URL,
            jwks_uri=app_settings.GOOGLE_JWKS_URL,
            authorization_endpoint=app_settings.GOOGLE_AUTHORIZE_URL,
            allowed_redirect_uris=tuple(app_settings.GOOGLE_ALLOWED_REDIRECT_URIS),
            extra_issuers=GOOGLE_ISSUERS,
            hosted_domain=app_settings.GOOGLE_HOSTED_DOMAIN.lower(),
            token_auth_method=app_settings.GOOGLE_TOKEN_AUTH_METHOD,
        )
    if name == "okta" and app_settings.OKTA_CLIENT_ID and app_settings.OKTA_ISSUER:
        issuer = app_settings.OKTA_ISSUER.rstrip("/")
        return ProviderConfig(
            name="okta",
            client_id=app_settings.OKTA_CLIENT_ID,
            client_secret=app_settings.OKTA_CLIENT_SECRET,
            discovery_url=f"{issuer}/.well-known/openid-configuration",
            allowed_redirect_uris=tuple(app_settings.OKTA_ALLOWED_REDIRECT_URIS),
            token_auth_method=app_settings.OKTA_TOKEN_AUTH_METHOD,
        )
    raise NotConfigured(f"{name.title()} sign-in is not configured on this server.", code="provider_not_configured")


class _MetadataCache:
    """Discovery documents and JWKS clients, one per provider, refreshed after the cache period."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = {}

    def get(self, config):
        ttl = app_settings.OIDC_JWKS_CACHE_SECONDS
        entry = self._entries.get(config.cache_key)
        if entry is not None and time.monotonic() - entry.fetched_at < ttl:
            return entry
        with self._lock:
            entry = self._entries.get(config.cache_key)
            if entry is None or time.monotonic() - entry.fetched_at >= ttl:
                entry = self._discover(config) if config.discovery_url else self._explicit(config)
                self._entries[config.cache_key] = entry
        return entry

    @staticmethod
    def _explicit(config):
        return _Metadata(
            issuer=config.issuer,
            token_endpoint=config.token_endpoint,
            keys=jwks.KeySet(config.jwks_uri),
            authorization_endpoint=config.authorization_endpoint,
        )

    def _discover(self, config):
        try:
            response = requests.get(config.discovery_url, timeout=app_settings.OIDC_HTTP_TIMEOUT)
            response.raise_for_status()
            document = response.json()
            issuer, token_endpoint, jwks_uri = document["issuer"], document["token_endpoint"], document["jwks_uri"]
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            log.warning("%s discovery failed: %s", config.name, exc)
            raise ProviderUnavailable(
                f"{config.name.title()} could not be reached. Try again in a moment.", code="provider_unavailable"
            ) from None
        return _Metadata(
            issuer=issuer,
            token_endpoint=token_endpoint,
            keys=jwks.KeySet(jwks_uri),
            authorization_endpoint=document.get("authorization_endpoint", ""),
        )

    def clear(self):
        with self._lock:
            self._entries.clear()


metadata_cache = _MetadataCache()
setting_changed.connect(lambda **kwargs: metadata_cache.clear())


def client_settings(name):
    """What a browser needs to start this provider's sign-in itself (public values), or None."""
    try:
        config = provider_config(name)
        meta = metadata_cache.get(config)
    except (NotConfigured, ProviderUnavailable):
        return None
    if not meta.authorization_endpoint:
        return None
    return {"name": name, "authorization_endpoint": meta.authorization_endpoint, "client_id": config.client_id}


def exchange_code(config, meta, *, code, redirect_uri, code_verifier=""):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if code_verifier:
        data["code_verifier"] = code_verifier
    auth = None
    if config.token_auth_method == "client_secret_basic":
        auth = (config.client_id, config.client_secret)
    else:
        data.update(client_id=config.client_id, client_secret=config.client_secret)
    try:
        response = requests.post(
            meta.token_endpoint,
            data=data,
            auth=auth,
            timeout=app_settings.OIDC_HTTP_TIMEOUT,
            headers={"Accept": "application/json"},
        )
    except requests.RequestException as exc:
        log.warning("%s token endpoint unreachable: %s", config.name, exc)
        raise ProviderUnavailable(
            f"{config.name.title()} could not be reached. Try again in a moment.", code="provider_unavailable"
        ) from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 500:
        raise ProviderUnavailable(
            f"{config.name.title()} had an error. Try again in a moment.", code="provider_unavailable"
        )
    if response.status_code != 200:
        error = body.get("error") if isinstance(body, dict) else None
        if error == "invalid_grant":
            raise ProviderError(
                f"{config.name.title()} rejected the code: "
                "it is invalid, expired, already used, or for another redirect_uri.",
                code="invalid_grant",
            )
        log.warning("%s token endpoint refused the exchange: %s %s", config.name, response.status_code, error)
        raise ProviderError(
            f"{config.name.title()} refused the code exchange ({error or response.status_code}).",
            code="provider_rejected",
            status=400,
        )
    if not isinstance(body, dict) or not isinstance(body.get("id_token"), str):
        raise ProviderUnavailable(f"{config.name.title()} sent no ID token.", code="provider_bad_response", status=502)
    return body


# jwks.Rejected reasons -> our codes and sentences
_TOKEN_ERRORS = {
    "malformed": ("id_token_invalid", "The ID token is malformed."),
    "expired": ("id_token_expired", "The ID token has expired."),
    "not_yet_valid": ("id_token_not_yet_valid", "The ID token is not valid yet."),
    "audience": ("id_token_wrong_audience", "The ID token was issued to another application."),
    "issuer": ("id_token_wrong_issuer", "The ID token was issued by an unexpected issuer."),
    "signature": ("id_token_invalid_signature", "The ID token's signature is invalid."),
    "algorithm": ("id_token_invalid_signature", "The ID token is signed with an algorithm we do not accept."),
    "unknown_key": ("id_token_invalid_signature", "The ID token is signed with a key the provider does not publish."),
    "missing_claim": ("id_token_invalid", "The ID token lacks a required claim."),
}


def verify_id_token(config, meta, id_token, *, nonce=""):
    issuers = list(dict.fromkeys((meta.issuer, *config.extra_issuers)))
    try:
        claims = jwks.verify(
            id_token,
            meta.keys,
            algorithms=ALGORITHMS,
            issuer=issuers,
            audience=config.client_id,
            require=("exp", "iat", "iss", "aud", "sub"),
        )
    except jwks.Rejected as exc:
        if exc.reason == "keys_unavailable":
            raise ProviderUnavailable(
                f"{config.name.title()}'s signing keys could not be fetched.", code="provider_unavailable"
            ) from None
        code, message = _TOKEN_ERRORS.get(exc.reason, ("id_token_invalid", "The ID token is invalid."))
        raise ProviderError(message, code=code, status=401) from None
    if isinstance(claims["aud"], list) and len(claims["aud"]) > 1 and claims.get("azp") != config.client_id:
        raise ProviderError(
            "The ID token was issued to another application.", code="id_token_wrong_audience", status=401
        )
    if nonce and claims.get("nonce") != nonce:
        raise ProviderError(
            "The ID token's nonce does not match this sign-in.", code="id_token_nonce_mismatch", status=401
        )
    return claims


def authenticate(name, *, code, redirect_uri, code_verifier="", nonce=""):
    """Exchange a Google/Okta code and return the verified Identity (existing users only)."""
    config = provider_config(name)
    if redirect_uri not in config.allowed_redirect_uris:
        raise InvalidSignInRequest(
            "redirect_uri is not one of this server's allowed redirect URIs for this provider.",
            code="redirect_uri_not_allowed",
        )
    meta = metadata_cache.get(config)
    tokens = exchange_code(config, meta, code=code, redirect_uri=redirect_uri, code_verifier=code_verifier)
    claims = verify_id_token(config, meta, tokens["id_token"], nonce=nonce)
    email = claims.get("email") or ""
    if not email or claims.get("email_verified") not in (True, "true"):
        raise SignInRefused(f"{config.name.title()} has not verified this email address.", code="email_not_verified")
    if config.hosted_domain and (claims.get("hd") or "").lower() != config.hosted_domain:
        raise SignInRefused(
            "This Google account is not part of the allowed Workspace domain.", code="domain_not_allowed"
        )
    return Identity(
        provider=name,
        subject=str(claims["sub"]),
        email=email,
        email_verified=True,
        method=name,
        first_name=claims.get("given_name") or "",
        last_name=claims.get("family_name") or "",
        may_create=False,  # these endpoints sign in people who have an account; they never create one
    )
