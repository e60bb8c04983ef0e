"""Attacks on our tokens, redirects and throttles, and races on shared rows."""

import threading
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.conf import settings as django_settings
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import AuthSession, User

pytestmark = pytest.mark.django_db


def _pair(api, wos, email="sec@example.com"):
    wos.add_user(email)
    response = api.post("/api/auth/workos/callback", {"code": wos.code(email)}, format="json")
    assert response.status_code == 200
    return response.json()


def _claims(token):
    return jwt.decode(token, options={"verify_signature": False})


def _sign(claims, key=None, algorithm="HS256", headers=None):
    return jwt.encode(claims, key or django_settings.SIMPLE_JWT["SIGNING_KEY"], algorithm=algorithm, headers=headers)


# --- our access tokens -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda c: jwt.encode(c, None, algorithm="none"), id="alg-none"),
        pytest.param(lambda c: _rs256(c), id="rs256-instead-of-hs256"),
        pytest.param(lambda c: _sign({**c, "exp": int(time.time()) - 60}), id="expired"),
        pytest.param(lambda c: _sign({**c, "nbf": int(time.time()) + 3600}), id="not-yet-valid"),
        pytest.param(lambda c: _sign({**c, "iss": "someone-else"}), id="wrong-issuer"),
        pytest.param(lambda c: _sign({**c, "aud": "someone-else"}), id="wrong-audience"),
        pytest.param(lambda c: _sign(c, key="not-our-secret-but-long-enough-for-hs256!!"), id="wrong-key"),
        pytest.param(lambda c: _sign({**c, "token_type": "refresh"}), id="refresh-as-access"),
        pytest.param(lambda c: _sign({k: v for k, v in c.items() if k != "exp"}), id="no-exp"),
        pytest.param(lambda c: _sign({**c, "exp": "9999999999"}), id="exp-not-a-number"),
        pytest.param(lambda c: _sign({**c, "nbf": True}), id="nbf-not-a-number"),
        pytest.param(
            lambda c: _sign(c, headers={"kid": "other", "jku": "https://evil.example/keys"}), id="foreign-header-fields"
        ),
        pytest.param(lambda c: _sign(c, algorithm="HS512"), id="hs512-with-our-key"),
        pytest.param(lambda c: _raw(_sign(c), payload="W10"), id="payload-not-an-object"),
        pytest.param(lambda c: _raw(_sign(c), signature="!!!"), id="signature-not-base64url"),
        pytest.param(lambda c: _sign(c) + ".extra", id="four-segments"),
        # the right signature bytes, spelled otherwise: one token has exactly one valid string
        pytest.param(lambda c: _respelled(_sign(c), lambda sig: sig + "="), id="signature-padded"),
        pytest.param(
            lambda c: _respelled(_sign(c), lambda sig: sig[:20] + "\n" + sig[20:]), id="signature-with-a-newline"
        ),
        pytest.param(
            lambda c: _respelled(_sign(c), lambda sig: sig[:-1] + _B64URL[_B64URL.index(sig[-1]) ^ 1]),
            id="signature-unused-bits-set",
        ),
        pytest.param(
            lambda c: _respelled(
                _signed_with_dash_or_underscore(c), lambda sig: sig.replace("-", "+").replace("_", "/")
            ),
            id="signature-standard-base64",
        ),
    ],
)
def test_forged_access_tokens_are_refused(api, wos, forge):
    good = _pair(api, wos)["access_token"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {forge(_claims(good))}")
    response = api.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_minted_tokens_are_what_simplejwt_and_pyjwt_read(api, wos, settings):
    """Our own signing (accounts.jws) writes tokens any JWT library reads: PyJWT's header, the
    claims simplejwt's RefreshToken/AccessToken carry, expiries from the configured lifetimes."""
    from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

    wos.add_user("zoë@example.com", first_name="Zoë", last_name="Ñúñez")
    pair = _pair(api, wos, "zoë@example.com")
    conf = django_settings.SIMPLE_JWT
    key = conf["SIGNING_KEY"]
    for raw, kind in ((pair["access_token"], "access"), (pair["refresh_token"], "refresh")):
        assert jwt.get_unverified_header(raw) == {"alg": "HS256", "typ": "JWT"}
        claims = jwt.decode(raw, key, algorithms=["HS256"], audience=conf["AUDIENCE"], issuer=conf["ISSUER"])
        assert claims["token_type"] == kind and claims["user_id"] == str(User.objects.get().pk)
        assert (claims["first_name"], claims["last_name"], claims["email"]) == ("Zoë", "Ñúñez", "zoë@example.com")
        assert len(claims["jti"]) == 32 and claims["sess"] == AuthSession.objects.get().id
    access, refresh = AccessToken(pair["access_token"]), RefreshToken(pair["refresh_token"])
    assert access["jti"] != refresh["jti"]
    assert access["exp"] - access["iat"] == int(conf["ACCESS_TOKEN_LIFETIME"].total_seconds())
    assert refresh["exp"] - refresh["iat"] == int(conf["REFRESH_TOKEN_LIFETIME"].total_seconds())


@pytest.mark.parametrize("junk", ["", "abc", "a..c", "a.!!!.c", "a.W10.c", "a.bnVsbA.c", None])
def test_a_malformed_workos_access_token_yields_no_claims(junk):
    from accounts import jws

    assert jws.unverified_payload(junk) == {}


_B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _respelled(token, respell):
    header, body, sig = token.split(".")
    return ".".join([header, body, respell(sig)])


def _signed_with_dash_or_underscore(claims):
    """A valid token whose signature holds a character that standard base64 spells otherwise."""
    for i in range(1000):
        token = _sign({**claims, "jti": f"{claims['jti']}{i}"})
        if set(token.rsplit(".", 1)[1]) & {"-", "_"}:
            return token
    raise AssertionError("no signature with - or _ in 1000 tries")


def _raw(token, *, payload=None, signature=None):
    """A token with one segment swapped for raw text."""
    header, body, sig = token.split(".")
    return ".".join([header, payload if payload is not None else body, signature if signature is not None else sig])


def _rs256(claims):
    from cryptography.hazmat.primitives.asymmetric import rsa

    return jwt.encode(claims, rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256")


def test_tampered_payload_is_refused(api, wos):
    import base64
    import json

    good = _pair(api, wos)["access_token"]
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["user_id"] = "999"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {header}.{forged}.{signature}")
    assert api.get("/api/auth/me").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {good}")
    assert api.get("/api/auth/me").status_code == 200


# --- open redirects --------------------------------------------------------------------------

HOSTILE_NEXT = [
    "https://evil.example/",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "http:evil.example",
    "https:/evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "\t//evil.example",
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_next_never_leaves_the_site_after_password_sign_in(client, target):
    User.objects.create_user("n@example.com", "n-password-123")
    response = client.post("/auth/login", {"username": "n@example.com", "password": "n-password-123", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_next_never_leaves_the_site_after_workos_sign_in(client, wos, target):
    from tests.helpers import follow_hosted_sign_in

    wos.add_user("w@example.com", password="w-password-123")
    start = client.get("/auth/workos/start", {"next": target})
    back = follow_hosted_sign_in(start["Location"], email="w@example.com", password="w-password-123")
    done = client.get("/auth/callback", {"code": back["code"], "state": back["state"]})
    assert done.status_code == 302 and done["Location"] == "/"


def test_safe_next_keeps_same_site_paths(client):
    User.objects.create_user("k@example.com", "k-password-123")
    response = client.post(
        "/auth/login", {"username": "k@example.com", "password": "k-password-123", "next": "/admin/?q=1"}
    )
    assert response["Location"] == "/admin/?q=1"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "http://spa.test/callback/../evil",
        "http://spa.test/callback?x=1",
        "http://spa.test/callback#x",
        "//spa.test/callback",
        "HTTP://SPA.TEST/callback",
    ],
)
def test_redirect_uri_must_match_exactly(api, wos, redirect_uri):
    response = api.get("/api/auth/workos/authorize", {"redirect_uri": redirect_uri})
    assert response.status_code == 400
    assert response.json()["code"] == "redirect_uri_not_allowed"
    callback = api.post("/api/auth/workos/callback", {"code": "x", "redirect_uri": redirect_uri}, format="json")
    assert callback.json()["code"] == "redirect_uri_not_allowed"


def test_logout_return_to_comes_from_settings_not_the_request(api, wos, settings):
    settings.WORKOS_LOGOUT_RETURN_TO = "http://testserver/"
    pair = _pair(api, wos)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access_token']}")
    response = api.post(
        "/api/auth/logout/?return_to=https://evil.example/", {"return_to": "https://evil.example/"}, format="json"
    )
    assert response.status_code == 200 and "evil.example" not in response.json()["workos_logout_url"]


def test_logout_return_to_may_name_an_allowlisted_address(api, wos, settings):
    from urllib.parse import parse_qs, urlsplit

    settings.WORKOS_LOGOUT_RETURN_TO = "http://testserver/"
    settings.WORKOS_ALLOWED_LOGOUT_RETURN_TOS = ["http://testserver/examples/spa/"]
    pair = _pair(api, wos)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access_token']}")
    url = api.post("/api/auth/logout/", {"return_to": "http://testserver/examples/spa/"}, format="json").json()[
        "workos_logout_url"
    ]
    assert parse_qs(urlsplit(url).query)["return_to"] == ["http://testserver/examples/spa/"]


# --- throttles -------------------------------------------------------------------------------


@pytest.fixture
def tight_throttles(settings):
    settings.GATEHOUSE_RATE_LIMITS = {
        **settings.GATEHOUSE_RATE_LIMITS,
        "password_ip": "4/d",
        "password_account": "100/d",
    }


def test_password_login_throttled_per_ip(api, tight_throttles):
    for i in range(4):
        assert (
            api.post("/api/token/", {"email": f"u{i}@example.com", "password": "x"}, format="json").status_code == 401
        )
    blocked = api.post("/api/token/", {"email": "u9@example.com", "password": "x"}, format="json")
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    other_ip = APIClient(REMOTE_ADDR="10.9.8.7")
    assert other_ip.post("/api/token/", {"email": "u9@example.com", "password": "x"}, format="json").status_code == 401


def test_forwarded_for_buys_no_fresh_attempts(api, tight_throttles):
    """X-Forwarded-For is the client's own text unless a trusted proxy is configured."""
    for i in range(4):
        api.post(
            "/api/token/",
            {"email": f"u{i}@example.com", "password": "x"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        )
    blocked = api.post(
        "/api/token/", {"email": "u9@example.com", "password": "x"}, format="json", HTTP_X_FORWARDED_FOR="198.51.100.77"
    )
    assert blocked.status_code == 429


def test_forwarded_for_is_read_through_a_configured_proxy_count(api, tight_throttles, settings):
    from accounts.models import AuditEvent

    settings.GATEHOUSE_TRUSTED_PROXY_COUNT = 1
    for i in range(4):
        api.post(
            "/api/token/",
            {"email": f"u{i}@example.com", "password": "x"},
            format="json",
            HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.5",
        )
    # the client's own prefix ("spoofed", or any other) does not change who it is
    assert (
        api.post(
            "/api/token/",
            {"email": "u9@example.com", "password": "x"},
            format="json",
            HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.5",
        ).status_code
        == 429
    )
    # another client behind the same proxy has its own count
    assert (
        api.post(
            "/api/token/",
            {"email": "u9@example.com", "password": "x"},
            format="json",
            HTTP_X_FORWARDED_FOR="203.0.113.6",
        ).status_code
        == 401
    )
    assert AuditEvent.objects.filter(kind="sign_in_failed").first().ip_address == "203.0.113.6"


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("10.0.0.2", "198.51.100.1, 10.0.0.9", "198.51.100.1"),  # through two of our proxies
        ("10.0.0.2", "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the first address we do not run
        ("203.0.113.50", "198.51.100.1", "203.0.113.50"),  # not through our proxy: header ignored
        ("10.0.0.2", "garbage, 198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "198.51.100.1, garbage", "10.0.0.2"),  # a garbled chain is never guessed at
        ("10.0.0.2", "", "10.0.0.2"),
    ],
)
def test_forwarded_for_is_read_through_a_trusted_proxy_list(rf, settings, remote, forwarded, expected):
    from accounts.client import client_ip

    settings.GATEHOUSE_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)) == expected


def test_browser_password_form_shares_the_api_throttles(client, api, tight_throttles, settings):
    User.objects.create_user("form@example.com", "form-password-123")
    for _ in range(2):
        assert api.post("/api/token/", {"email": "form@example.com", "password": "x"}, format="json").status_code == 401
    for _ in range(2):
        assert client.post("/auth/login", {"email": "form@example.com", "password": "wrong"}).status_code == 400
    # the fifth attempt from this address, on either door, is refused, even with the right password
    blocked = client.post("/auth/login", {"email": "form@example.com", "password": "form-password-123"})
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert "Try again in" in blocked.content.decode()
    assert "_auth_user_id" not in client.session
    assert (
        api.post(
            "/api/token/", {"email": "form@example.com", "password": "form-password-123"}, format="json"
        ).status_code
        == 429
    )


def test_browser_password_form_is_throttled_per_account(settings):
    from django.test import Client

    settings.GATEHOUSE_RATE_LIMITS = {
        **settings.GATEHOUSE_RATE_LIMITS,
        "password_ip": "100/d",
        "password_account": "2/d",
    }
    User.objects.create_user("acct@example.com", "acct-password-123")
    for i in range(2):
        Client(REMOTE_ADDR=f"10.1.0.{i}").post("/auth/login", {"email": "acct@example.com", "password": "wrong"})
    blocked = Client(REMOTE_ADDR="10.1.0.99").post(
        "/auth/login", {"email": "ACCT@example.com", "password": "acct-password-123"}
    )
    assert blocked.status_code == 429


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/auth/workos/authorize", {"redirect_uri": "http://spa.test/callback"}),
        ("/auth/workos/start", {}),
        ("/api/auth/sso/authorize", {"organization_id": "org_X"}),
    ],
)
def test_authorize_endpoints_are_throttled_per_ip(client, wos, settings, path, params):
    from accounts.models import SignInState

    settings.GATEHOUSE_RATE_LIMITS = {**settings.GATEHOUSE_RATE_LIMITS, "authorize_ip": "3/d"}
    for _ in range(3):
        assert client.get(path, params).status_code in (200, 302)
    assert client.get(path, params).status_code == 429
    assert SignInState.objects.count() == 3
    from django.test import Client

    assert Client(REMOTE_ADDR="10.2.0.1").get(path, params).status_code in (200, 302)


def test_a_flood_of_sign_ins_evicts_nobody_elses(client, wos, settings):
    """States are pruned by age and capped per browser: strangers cannot push a sign-in out."""
    from django.test import Client

    from accounts.models import SignInState
    from accounts.signin import state as signin_state

    victim = Client()
    victim_start = victim.get("/auth/workos/start")
    victim_state = parse_qs(urlsplit(victim_start["Location"]).query)["state"][0]
    attacker = Client(REMOTE_ADDR="10.3.0.1")
    for _ in range(signin_state.MAX_OPEN_PER_BROWSER + 5):
        attacker.get("/auth/workos/start")
    for i in range(30):
        Client(REMOTE_ADDR=f"10.4.0.{i}").get("/api/auth/workos/authorize")
    assert SignInState.objects.count() == 1 + signin_state.MAX_OPEN_PER_BROWSER + 30
    assert signin_state.consume(victim_state, browser=victim_start.wsgi_request)


@pytest.fixture
def redis_cache(settings, worker_id):
    """The shared cache on Redis for this test: REDIS_URL's, else a local Redis (a database of its
    own per worker). Without one the test fails in CI (which provides Redis) and skips elsewhere."""
    import os
    import socket

    location = django_settings.REDIS_URL
    if not location:
        try:
            socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        except OSError:
            if os.environ.get("CI"):
                pytest.fail("Redis is not running on 127.0.0.1:6379")
            pytest.skip("needs Redis (REDIS_URL or 127.0.0.1:6379)")
        worker = 0 if worker_id == "master" else int(worker_id.removeprefix("gw"))
        location = f"redis://127.0.0.1:6379/{12 - worker}"
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}
    from django.core.cache import cache

    cache.clear()
    yield location
    cache.clear()


def test_throttle_counts_are_shared_through_redis(api, tight_throttles, redis_cache):
    from django.conf import settings as current
    from django.core.cache.backends.redis import RedisCache

    from accounts import ratelimit

    for _ in range(2):
        api.post("/api/token/", {"email": "shared@example.com", "password": "x"}, format="json")
    other_instance = RedisCache(current.CACHES["default"]["LOCATION"], {})  # what another app process sees
    keys = [key for key in other_instance._cache.get_client().keys("*gatehouse:rl:password_ip:*")]
    assert len(keys) == 1 and ratelimit.count("password_ip", "127.0.0.1") == 2
    assert int(other_instance._cache.get_client().get(keys[0])) == 2


# --- races -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_refresh_with_one_token_has_one_winner(wos):
    wos.add_user("twin@example.com")
    pair = APIClient().post("/api/auth/workos/callback", {"code": wos.code("twin@example.com")}, format="json").json()
    results = []
    barrier = threading.Barrier(10)

    def refresh():
        barrier.wait()
        try:
            response = APIClient().post("/api/token/refresh/", {"refresh": pair["refresh_token"]}, format="json")
            results.append((response.status_code, response.json().get("code")))
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # one rotates; the others, inside the grace window, get pairs of their own: nobody is signed out
    assert results == [(200, None)] * 10
    assert AuthSession.objects.get().revoked_at is None


@pytest.mark.parametrize("email", ["a\x00@acme.test", "a@acme\x00.test", "\x07@x.test"])
def test_control_characters_in_form_emails_are_refused_not_500(client, email):
    assert client.post("/auth/login", {"email": email}).status_code == 400
    assert client.post("/auth/login", {"email": email, "password": "x"}).status_code == 400
    assert client.post("/auth/sso", {"email": email}).status_code == 400


# --- login CSRF: a callback only finishes the sign-in its own browser started -----------------


def _attacker_code_and_state(wos, start_url, client):
    """The attacker starts a sign-in in their own browser and stops at the redirect back."""
    from tests.helpers import follow_hosted_sign_in

    wos.add_user("attacker@example.com", password="attacker-pw-123")
    start = client.get(start_url)
    location = start["Location"] if start.status_code == 302 else start.json()["authorization_url"]
    return follow_hosted_sign_in(location, email="attacker@example.com", password="attacker-pw-123")


def _signed_in_as(client):
    from django.contrib.auth import SESSION_KEY

    return client.session.get(SESSION_KEY)


def test_browser_callback_without_state_signs_nobody_in(client, wos):
    from django.test import Client

    back = _attacker_code_and_state(wos, "/auth/workos/start", Client())
    response = client.get("/auth/callback", {"code": back["code"]})
    assert response.status_code == 400
    assert response.context["code"] == "state_missing"
    assert _signed_in_as(client) is None
    assert User.objects.count() == AuthSession.objects.count() == 0
    assert wos.log("/user_management/authenticate") == []  # the code was never even exchanged


def test_browser_callback_with_another_browsers_state_signs_nobody_in(client, wos):
    from django.test import Client

    back = _attacker_code_and_state(wos, "/auth/workos/start", Client())
    victim = client
    victim.get("/auth/workos/start")  # the victim has a sign-in of their own in progress
    response = victim.get("/auth/callback", {"code": back["code"], "state": back["state"]})
    assert response.status_code == 400
    assert response.context["code"] == "state_mismatch"
    assert _signed_in_as(victim) is None
    assert User.objects.count() == 0
    assert wos.log("/user_management/authenticate") == []


def test_browser_callback_refuses_a_state_an_api_client_started(client, wos, settings):
    from django.test import Client

    # an SPA-style state, for the browser callback's own redirect URI
    back = _attacker_code_and_state(
        wos, "/api/auth/workos/authorize?redirect_uri=http://testserver/auth/callback", Client()
    )
    response = client.get("/auth/callback", {"code": back["code"], "state": back["state"]})
    assert response.status_code == 400 and response.context["code"] == "state_mismatch"
    assert _signed_in_as(client) is None


def test_browser_callback_with_its_own_state_signs_in(client, wos):
    back = _attacker_code_and_state(wos, "/auth/workos/start", client)
    response = client.get("/auth/callback", {"code": back["code"], "state": back["state"]})
    assert response.status_code == 302
    assert str(_signed_in_as(client)) == str(User.objects.get(email="attacker@example.com").pk)


def test_sso_started_in_the_browser_is_bound_to_it(client, wos):
    from django.test import Client

    from sso import sync

    wos.seed(
        organizations=[{"id": "org_B", "name": "B", "domains": ["b.test"]}],
        connections=[{"id": "conn_B", "name": "B", "organization": "org_B", "profiles": [{"email": "eve@b.test"}]}],
    )
    sync.sync_all()
    from tests.helpers import follow_hosted_sign_in

    attacker = Client()
    start = attacker.post("/auth/sso", {"email": "eve@b.test"})
    back = follow_hosted_sign_in(start["Location"], email="eve@b.test")
    assert (
        client.get("/auth/callback", {"code": back["code"], "state": back["state"]}).context["code"] == "state_mismatch"
    )
    assert _signed_in_as(client) is None


@pytest.mark.parametrize(
    ("error", "code"),
    [
        ("access_denied", "sign_in_cancelled"),
        ("<script>alert(1)</script>", "provider_error"),
        ("server_error", "provider_unavailable"),
    ],
)
def test_callback_errors_are_told_in_our_words(client, api, wos, error, code):
    planted = "Your account is locked. Call +1 555 0100 to unlock it."
    page = client.get("/auth/callback", {"error": error, "error_description": planted})
    assert page.status_code == 400
    assert (
        page.context["code"] == code
        and planted not in page.content.decode()
        and "<script>" not in page.content.decode()
    )
    body = api.post("/api/auth/workos/callback", {"error": error, "error_description": planted}, format="json").json()
    assert body["code"] == code and planted not in body["message"]


# --- no 500s from anyone ---------------------------------------------------------------------

POST_ENDPOINTS = [
    "/api/auth/workos/callback",
    "/api/token/",
    "/api/token/refresh/",
    "/api/token/verify/",
    "/api/auth/google/",
    "/api/auth/okta/",
    "/api/auth/sessions/revoke-all/",
]  # (logout reads no body)


@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_deeply_nested_json_is_a_parse_error(api, wos, path):
    pair = _pair(api, wos, email=f"nest-{path.strip('/').replace('/', '-')}@example.com")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access_token']}")
    body = "[" * 100_000 + "]" * 100_000
    response = api.post(path, body, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert response.json()["code"] == "parse_error"


def test_logout_with_the_valid_token_of_a_deleted_user_is_clean(api, wos):
    from accounts.models import AuditEvent

    pair = _pair(api, wos, email="deleted@example.com")
    User.objects.get(email="deleted@example.com").delete()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access_token']}")
    response = api.post("/api/auth/logout/")
    assert response.status_code == 200
    assert response.json()["message"] == "Successfully logged out"
    event = AuditEvent.objects.get(kind="logout")
    assert event.user_id is None and event.email == "deleted@example.com"


# --- headers ---------------------------------------------------------------------------------


def test_token_responses_are_never_cached(api, wos):
    from tests.conftest import SPA_CALLBACK

    wos.add_user("cache@example.com")
    responses = [api.post("/api/auth/workos/callback", {"code": wos.code("cache@example.com")}, format="json")]
    responses.append(api.post("/api/token/refresh/", {"refresh": responses[0].json()["refresh_token"]}, format="json"))
    User.objects.create_user("pw@example.com", "pw-password-123")
    responses.append(api.post("/api/token/", {"email": "pw@example.com", "password": "pw-password-123"}, format="json"))
    responses.append(api.get("/api/auth/workos/authorize", {"redirect_uri": SPA_CALLBACK}))
    responses.append(api.post("/api/token/", {"email": "pw@example.com", "password": "wrong"}, format="json"))
    for response in responses:
        assert "no-store" in response["Cache-Control"], response.request["PATH_INFO"]


@pytest.mark.parametrize("call", ["list", "revoke-all", "revoke-one"])
def test_sign_in_management_refuses_a_token_whose_sign_in_has_ended(api, wos, call):
    first = _pair(api, wos, email="ended@example.com")
    other = api.post("/api/auth/workos/callback", {"code": wos.code("ended@example.com")}, format="json").json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {first['access_token']}")
    assert api.post("/api/auth/logout/").status_code == 200
    other_session = _claims(other["access_token"])["sess"]
    response = {
        "list": lambda: api.get("/api/auth/sessions/"),
        "revoke-all": lambda: api.post("/api/auth/sessions/revoke-all/", {}, format="json"),
        "revoke-one": lambda: api.delete(f"/api/auth/sessions/{other_session}/"),
    }[call]()
    assert (response.status_code, response.json()["code"]) == (401, "session_revoked")
    assert AuthSession.objects.get(id=other_session).revoked_at is None
    # the hot path stays query-free: the token itself still says who it is until it expires
    assert api.get("/api/auth/me").status_code == 200


@pytest.mark.parametrize("path", ["/", "/auth/login", "/auth/sso", "/api/docs/", "/examples/spa/", "/admin/"])
def test_pages_send_a_content_security_policy(client, path):
    client.force_login(User.objects.create_superuser("csp@example.com", "csp-password-123"))
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize(
    "path, params, said",
    [
        ("/auth/callback", {"code": "x", "state": "forged"}, "This sign-in link has expired or was already used."),
        ("/auth/steps", {}, "There is no sign-in to finish here. Start from the sign-in page."),
    ],
)
def test_error_pages_speak_plainly_and_lead_back(client, wos, path, params, said):
    page = client.get(path, params)
    assert page.status_code == 400
    body = page.content.decode()
    assert said in body and "Back to sign-in" in body and "not one we issued" not in body


def test_the_built_once_policy_is_the_one_django_csp_would_send_and_follows_settings(client, settings):
    from csp.utils import build_policy

    assert client.get("/healthz")["Content-Security-Policy"] == build_policy()
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'self'"]}}
    response = client.get("/healthz")
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["Content-Security-Policy-Report-Only"] == "default-src 'self'"
    # a policy that varies by URL is left to django-csp, per response
    settings.CONTENT_SECURITY_POLICY = {"EXCLUDE_URL_PREFIXES": ["/healthz"], "DIRECTIVES": {"default-src": ["'none'"]}}
    assert "Content-Security-Policy" not in client.get("/healthz")
    assert client.get("/auth/login")["Content-Security-Policy"] == "default-src 'none'"


@pytest.mark.django_db
def test_refused_access_tokens_are_throttled_per_client_and_valid_ones_never_counted(api, settings):
    from accounts import ratelimit
    from accounts.signin import flow

    settings.GATEHOUSE_RATE_LIMITS = {**settings.GATEHOUSE_RATE_LIMITS, "sign_in_ip": "3/d"}
    pair = flow.start_token_session(User.objects.create_user("limit@example.com"), method="password")
    for _ in range(5):
        assert api.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {pair.access}").status_code == 200
    assert ratelimit.count("sign_in_ip", "127.0.0.1") == 0
    for _ in range(3):
        assert api.get("/api/auth/me", HTTP_AUTHORIZATION="Bearer forged.token.here").status_code == 401
    refused = api.get("/api/auth/me")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled" and int(refused["Retry-After"]) >= 1
    assert api.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {pair.access}").status_code == 200
