"""Standalone Connect: the whole OAuth loop through the emulator, our Login URI and our API."""

import base64
import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from accounts.models import User
from standalone_connect.models import ConnectAttempt
from tests.conftest import SLOW_MS

pytestmark = pytest.mark.django_db
CLIENT_REDIRECT = "http://127.0.0.1:9/cli-callback"


@pytest.fixture
def connect(wos, settings):
    wos.seed(
        organizations=[{"id": "org_ACME", "name": "Acme"}],
        oauth_applications=[{"client_id": "client_cli", "name": "Acme CLI", "redirect_uris": [CLIENT_REDIRECT]}],
        settings={"connect_login_uri": "http://testserver/connect/login"},
    )
    settings.CONNECT_ISSUER = wos.url
    settings.CONNECT_JWKS_URL = f"{wos.url}/oauth2/jwks"
    settings.CONNECT_AUDIENCE = "client_cli"
    return wos


class OAuthClient:
    """The partner app / CLI: starts at AuthKit with PKCE, later exchanges the code."""

    def __init__(self, wos):
        self.wos = wos
        self.verifier = secrets.token_urlsafe(40)
        self.state = secrets.token_urlsafe(8)

    def start(self):
        challenge = base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest()).rstrip(b"=").decode()
        response = requests.get(
            f"{self.wos.url}/oauth2/authorize",
            params={
                "client_id": "client_cli",
                "redirect_uri": CLIENT_REDIRECT,
                "response_type": "code",
                "state": self.state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "scope": "openid email",
            },
            allow_redirects=False,
            timeout=5,
        )
        assert response.status_code == 302
        location = urlsplit(response.headers["Location"])
        assert location.path == "/connect/login"
        return parse_qs(location.query)["external_auth_id"][0]

    def exchange(self, code):
        response = requests.post(
            f"{self.wos.url}/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "client_id": "client_cli",
                "code": code,
                "redirect_uri": CLIENT_REDIRECT,
                "code_verifier": self.verifier,
            },
            timeout=5,
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]


def _consent(location, choice=None):
    """Act as the browser on AuthKit's consent step; return the code sent to the client."""
    consent_id = parse_qs(urlsplit(location).query)["consent_id"][0]
    if choice is None:
        page = requests.get(location, timeout=5)
        assert page.status_code == 200 and "wants to access your account" in page.text
        return page
    back = requests.post(
        location.split("?")[0],
        data={"consent_id": consent_id, "decision": "allow", **choice},
        allow_redirects=False,
        timeout=5,
    )
    assert back.status_code == 302, back.text
    return parse_qs(urlsplit(back.headers["Location"]).query)


def test_full_loop_with_sign_in_form(client, connect, api):
    user = User.objects.create_user(
        "dana@example.com", "dana-password-1", first_name="Dana", organization_id="org_ACME"
    )
    oauth = OAuthClient(connect)
    ext_id = oauth.start()

    step = client.get("/connect/login", {"external_auth_id": ext_id})
    assert step.status_code == 302 and step["Location"].startswith("/auth/login?next=")
    here = parse_qs(urlsplit(step["Location"]).query)["next"][0]
    assert here.startswith(f"/connect/login?external_auth_id={ext_id}&flow=")
    signed_in = client.post(
        "/auth/login", {"username": "dana@example.com", "password": "dana-password-1", "next": here}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == here
    completed = client.get(signed_in["Location"])  # signed in within this flow: no extra click
    assert completed.status_code == 302
    location = completed["Location"]
    assert location.startswith(f"{connect.url}/oauth2/consent")

    page = _consent(location)
    assert "org_ACME" in page.text  # our default consent option: the user's organization
    back = _consent(location, {"urn:gatehouse:organization": "org_ACME"})
    assert back["state"] == [oauth.state]
    token = oauth.exchange(back["code"][0])

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    me = api.get("/api/connect/me")
    assert me.status_code == 200, me.content
    assert me.json()["id"] == user.pk and me.json()["email"] == "dana@example.com"
    assert me.json()["consent"] == {"urn:gatehouse:organization": "org_ACME"}
    assert ConnectAttempt.objects.get().outcome == "completed"
    authkit_user = next(u for u in connect.store.users.values() if u["external_id"] == str(user.pk))
    assert authkit_user["email"] == "dana@example.com" and authkit_user["first_name"] == "Dana"


def confirm(client, ext_id):
    """A browser that was already signed in: the confirmation page, then its POST."""
    page = client.get("/connect/login", {"external_auth_id": ext_id})
    assert page.status_code == 200 and b"Continue as" in page.content
    return client.post("/connect/login", {"external_auth_id": ext_id})


def test_an_already_signed_in_user_confirms_before_completion(client, connect):
    user = User.objects.create_user("eve@example.com")
    client.force_login(user)
    ext_id = OAuthClient(connect).start()
    page = client.get("/connect/login", {"external_auth_id": ext_id})
    assert page.status_code == 200 and b"Continue as eve@example.com" in page.content
    assert connect.log("/authkit/oauth2/complete") == []
    response = client.post("/connect/login", {"external_auth_id": ext_id})
    assert response.status_code == 302 and "/oauth2/consent" in response["Location"]
    assert len(connect.log("/authkit/oauth2/complete")) == 1


def test_the_confirmation_needs_the_csrf_token(connect):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(User.objects.create_user("csrf@example.com"))
    ext_id = OAuthClient(connect).start()
    assert browser.post("/connect/login", {"external_auth_id": ext_id}).status_code == 403
    assert connect.log("/authkit/oauth2/complete") == []


def test_a_flow_mark_from_another_flow_or_a_guessed_nonce_still_asks(client, connect):
    ext_id, other = OAuthClient(connect).start(), OAuthClient(connect).start()
    here = parse_qs(urlsplit(client.get("/connect/login", {"external_auth_id": ext_id})["Location"]).query)["next"][0]
    client.force_login(User.objects.create_user("mark@example.com"))
    nonce = parse_qs(urlsplit(here).query)["flow"][0]
    assert (
        client.get("/connect/login", {"external_auth_id": other, "flow": nonce}).status_code == 200
    )  # another id: confirm
    assert client.get(here).status_code == 200  # the mark was spent by the first look
    assert connect.log("/authkit/oauth2/complete") == []


def test_grouped_consent_options_are_sent_as_groups(client, connect, settings):
    settings.CONNECT_CONSENT_OPTIONS = "tests.test_connect.grouped_options"
    client.force_login(User.objects.create_user("g@example.com"))
    ext_id = OAuthClient(connect).start()
    location = confirm(client, ext_id)["Location"]
    page = _consent(location)
    assert "Production: US-East" in page.text and "Development: Sandbox" in page.text
    consent = next(iter(connect.store.consents.values()))
    assert consent["options"] == grouped_options(None)


def grouped_options(user):
    return [
        {
            "claim": "urn:example:env",
            "type": "enum",
            "label": "Environment",
            "choices": [
                {
                    "group": "Production",
                    "choices": [{"value": "prod_us", "label": "US-East"}, {"value": "prod_eu", "label": "EU-West"}],
                },
                {"group": "Development", "choices": [{"value": "dev", "label": "Sandbox"}]},
            ],
        }
    ]


@pytest.mark.parametrize("ext_id, code", [("", "external_auth_id_missing"), ("bad id!", "external_auth_id_invalid")])
def test_missing_or_malformed_id_is_a_clear_page(client, ext_id, code):
    response = client.get("/connect/login", {"external_auth_id": ext_id})
    assert response.status_code == 400
    assert response.context["code"] == code


def test_reused_id_is_explained_and_not_retried(client, connect):
    client.force_login(User.objects.create_user("r@example.com"))
    ext_id = OAuthClient(connect).start()
    assert confirm(client, ext_id).status_code == 302
    again = confirm(client, ext_id)
    assert again.status_code == 400
    assert b"already used" in again.content and b"home page" in again.content
    assert len(connect.log("/authkit/oauth2/complete")) == 2
    assert list(ConnectAttempt.objects.order_by("created_at").values_list("outcome", "error_code")) == [
        ("completed", ""),
        ("failed", "external_auth_session_already_completed"),
    ]


def test_email_not_available(client, connect):
    connect.add_user("taken@example.com")  # another AuthKit user owns this address
    client.force_login(User.objects.create_user("taken@example.com"))
    response = confirm(client, OAuthClient(connect).start())
    assert response.status_code == 400 and response.context["code"] == "email_not_available"


@pytest.mark.parametrize(
    "fault, code",
    [
        ({"status": 503}, "workos_unavailable"),
        ({"status": 200, "raw": "nope"}, "workos_bad_response"),
        ({"status": 200, "latency_ms": SLOW_MS, "passthrough": True}, "workos_unreachable"),
    ],
)
def test_workos_faults_become_a_page_and_one_attempt(client, connect, fault, code):
    client.force_login(User.objects.create_user("f@example.com"))
    ext_id = OAuthClient(connect).start()
    connect.inject("/authkit/oauth2/complete", **fault)
    response = confirm(client, ext_id)
    assert response.status_code in (502, 503)
    assert response.context["code"] == code
    assert len(connect.log("/authkit/oauth2/complete", settle=fault.get("latency_ms", 0) / 1000)) == 1
    assert ConnectAttempt.objects.get().error_code == code


def _token(connect, **overrides):
    now = int(time.time())
    claims = {
        "iss": connect.url,
        "aud": "client_cli",
        "sub": "user_x",
        "external_id": str(User.objects.create_user(f"t{secrets.token_hex(3)}@example.com").pk),
        "iat": now,
        "exp": now + 300,
    }
    claims.update(overrides)
    return connect.server.app.key.sign({k: v for k, v in claims.items() if v is not None})


@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}, "token_expired"),
        ({"iss": "https://evil.example"}, "token_wrong_issuer"),
        ({"aud": "other-client"}, "token_wrong_audience"),
        ({"external_id": None}, "token_invalid"),
    ],
)
def test_bad_connect_tokens_are_refused(api, connect, overrides, code):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {_token(connect, **overrides)}")
    response = api.get("/api/connect/me")
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert "resource_metadata=" in response["WWW-Authenticate"]


def test_tampered_connect_token_is_refused(api, connect):
    good = _token(connect)
    header, payload, signature = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    claims["external_id"] = "1"
    forged = base64.urlsafe_b64encode(__import__("json").dumps(claims).encode()).rstrip(b"=").decode()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {header}.{forged}.{signature}")
    assert api.get("/api/connect/me").json()["code"] == "token_invalid"
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {good}")
    assert api.get("/api/connect/me").status_code == 200
