"""WorkOS impersonation: support staff sign in as a person; the sign-in names them everywhere
(its session, the token, /api/auth/me, a banner on pages, the audit), and what the setting
forbids them is refused."""

import pytest
import requests
from rest_framework.test import APIClient

from accounts.models import AuditEvent, AuthSession

pytestmark = pytest.mark.django_db

SUPPORT = {"email": "help@vendor.test", "reason": "Ticket 4242: cannot see invoices"}


def _seed(wos):
    wos.seed(organizations=[{"id": "org_ACME", "name": "Acme"}])
    person = wos.add_user("boss@acme.test", first_name="Bo")
    wos.store.add_membership(person["id"], "org_ACME", role="admin")


def test_an_impersonated_api_sign_in_names_its_impersonator(wos):
    _seed(wos)
    code = wos.code("boss@acme.test", impersonator=SUPPORT)
    client = APIClient()
    body = client.post("/api/auth/workos/callback", {"code": code}, format="json").json()
    assert body["user"]["impersonator"] == SUPPORT
    assert AuthSession.objects.get().impersonator == SUPPORT
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert client.get("/api/auth/me").json()["impersonator"] == SUPPORT
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.IMPERSONATED_SIGN_IN)
    assert event.user.email == "boss@acme.test" and event.details["impersonator"] == "help@vendor.test"
    assert event.details["impersonation_reason"] == SUPPORT["reason"]
    # what the setting forbids (by default: API keys, members, recovery codes)
    for call in (
        lambda: client.post("/api/organization/api-keys", {"name": "x"}, format="json"),
        lambda: client.post("/api/organization/invitations", {"email": "a@acme.test"}, format="json"),
        lambda: client.post("/api/auth/recovery-codes"),
    ):
        refused = call()
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden_while_impersonating"
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.FORBIDDEN_WHILE_IMPERSONATING).count() == 3
    assert client.get("/api/organization/members").status_code == 200  # looking is allowed
    refreshed = APIClient().post("/api/token/refresh/", {"refresh": body["refresh_token"]}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")
    assert client.get("/api/auth/me").json()["impersonator"] == SUPPORT  # it stays on the sign-in


def test_a_setting_decides_what_impersonators_may_not_do(wos, settings):
    _seed(wos)
    settings.GATEHOUSE_IMPERSONATION_FORBIDDEN = ["members"]
    client = APIClient()
    body = client.post(
        "/api/auth/workos/callback", {"code": wos.code("boss@acme.test", impersonator=SUPPORT)}, format="json"
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert client.post("/api/organization/api-keys", {"name": "x"}, format="json").status_code == 201


def test_an_ordinary_sign_in_has_no_impersonator(wos):
    _seed(wos)
    body = APIClient().post("/api/auth/workos/callback", {"code": wos.code("boss@acme.test")}, format="json").json()
    assert body["user"]["impersonator"] is None
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.IMPERSONATED_SIGN_IN).exists()


def test_staff_impersonate_from_the_emulators_dashboard_and_pages_show_a_banner(client, wos):
    _seed(wos)
    page = requests.get(f"{wos.url}/_emulator/impersonate", timeout=5)
    assert page.status_code == 200 and "boss@acme.test" in page.text
    started = requests.post(
        f"{wos.url}/_emulator/impersonate",
        data={"email": "boss@acme.test", "impersonator": SUPPORT["email"], "reason": SUPPORT["reason"], "app": "/"},
        allow_redirects=False,
        timeout=5,
    )
    assert started.status_code == 302
    start = client.get("/auth/workos/start", {"next": "/account/sessions"})
    back = requests.get(start["Location"], allow_redirects=False, timeout=5)  # no sign-in page: straight back
    assert back.status_code == 302 and "code=" in back.headers["Location"]
    query = dict(p.split("=", 1) for p in back.headers["Location"].split("?", 1)[1].split("&"))
    done = client.get("/auth/callback", {"code": query["code"], "state": requests.utils.unquote(query["state"])})
    assert done.status_code == 302 and done["Location"] == "/account/sessions"
    shown = client.get("/account/sessions")
    assert b'data-testid="impersonation-banner"' in shown.content and b"help@vendor.test" in shown.content
    assert b"Ticket 4242" in shown.content
    forbidden = client.post("/account/recovery-codes")
    assert forbidden.status_code == 403
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.IMPERSONATED_SIGN_IN).count() == 1
