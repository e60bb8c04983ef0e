"""Attacks on our tokens, redirects and throttles, and races on shared rows."""

import threading
import time

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
    ],
)
def test_forged_access_tokens_are_refused(api, wos, forge):
    good = _pair(api, wos)["access_token"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {forge(_claims(good))}")
    response = api.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


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
    response = client.post("/auth/login", {"username": "k@example.com", "password": "k-password-123", "next": "/admin/?q=1"})
    assert response["Location"] == "/admin/?q=1"


@pytest.mark.parametrize(
    "redirect_uri",
    ["https://evil.example/callback", "http://spa.test/callback/../evil", "http://spa.test/callback?x=1", "http://spa.test/callback#x", "//spa.test/callback", "HTTP://SPA.TEST/callback"],
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
    response = api.post("/api/auth/logout/?return_to=https://evil.example/", {"return_to": "https://evil.example/"}, format="json")
    assert "evil.example" not in response.json()["workos_logout_url"]


# --- throttles -------------------------------------------------------------------------------


@pytest.fixture
def tight_throttles():
    from accounts.api.throttles import PasswordAccountThrottle, PasswordIPThrottle

    saved = PasswordIPThrottle.THROTTLE_RATES
    PasswordIPThrottle.THROTTLE_RATES = PasswordAccountThrottle.THROTTLE_RATES = {"password_ip": "4/min", "password_account": "100/min"}
    yield
    PasswordIPThrottle.THROTTLE_RATES = PasswordAccountThrottle.THROTTLE_RATES = saved


def test_password_login_throttled_per_ip(api, tight_throttles):
    for i in range(4):
        assert api.post("/api/token/", {"email": f"u{i}@example.com", "password": "x"}, format="json").status_code == 401
    blocked = api.post("/api/token/", {"email": "u9@example.com", "password": "x"}, format="json")
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    other_ip = APIClient(REMOTE_ADDR="10.9.8.7")
    assert other_ip.post("/api/token/", {"email": "u9@example.com", "password": "x"}, format="json").status_code == 401


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs REDIS_URL; CI's PostgreSQL pass sets it")
def test_throttle_counts_are_shared_through_redis(api, tight_throttles):
    from django.core.cache.backends.redis import RedisCache

    for _ in range(2):
        api.post("/api/token/", {"email": "shared@example.com", "password": "x"}, format="json")
    other_instance = RedisCache(django_settings.REDIS_URL, {})  # what another app process sees
    assert len(other_instance.get("throttle_password_ip_127.0.0.1")) == 2


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
    assert sorted(results)[0] == (200, None)
    assert [r for r in results if r[0] == 200] == [(200, None)]
    assert {r for r in results if r[0] != 200} == {(401, "refresh_token_already_used")}
    assert AuthSession.objects.get().revoked_at is None


@pytest.mark.parametrize("email", ["a\x00@acme.test", "a@acme\x00.test", "\x07@x.test"])
def test_control_characters_in_form_emails_are_refused_not_500(client, email):
    assert client.post("/auth/login", {"email": email}).status_code == 400
    assert client.post("/auth/login", {"email": email, "password": "x"}).status_code == 400
    assert client.post("/auth/sso", {"email": email}).status_code == 400
