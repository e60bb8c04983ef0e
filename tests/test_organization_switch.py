"""Switching organization: a person in several organizations moves a sign-in between them without
signing in again (WorkOS's refresh with organization_id); only active memberships admit, login
rules are honoured, and the tokens minted before stop refreshing."""

import jwt
import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEvent, AuthSession, LoginRule, SignInMethod, User

pytestmark = pytest.mark.django_db


def _seed(wos):
    wos.seed(
        roles={"admin": ["widgets:read", "widgets:write"], "member": ["widgets:read"]},
        organizations=[
            {"id": "org_ALPHA", "name": "Alpha"},
            {"id": "org_BETA", "name": "Beta"},
            {"id": "org_GAMMA", "name": "Gamma"},
        ],
    )
    person = wos.add_user("both@example.com", password="pw-both-12345")
    wos.store.add_membership(person["id"], "org_ALPHA", role="admin")
    wos.store.add_membership(person["id"], "org_BETA", role="member")
    return person


def sign_in(wos, organization_id="org_ALPHA"):
    client = APIClient()
    pending = client.post("/api/auth/workos/callback", {"code": wos.code("both@example.com")}, format="json")
    assert pending.json()["code"] == "organization_selection_required", pending.content
    token = pending.json()["detail"]["pending_token"]
    body = client.post(
        "/api/auth/steps/organization", {"pending_token": token, "organization_id": organization_id}, format="json"
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    return client, body


def claims(token):
    return jwt.decode(token, options={"verify_signature": False})


def switch(client, organization_id):
    return client.post("/api/auth/organization/switch", {"organization_id": organization_id}, format="json")


def test_a_person_switches_between_their_organizations_without_signing_in_again(wos):
    _seed(wos)
    client, first = sign_in(wos)
    assert first["user"]["organization_id"] == "org_ALPHA" and first["user"]["role"] == "admin"
    mine = client.get("/api/auth/organizations").json()
    assert [(o["id"], o["name"], o["role"], o["current"]) for o in sorted(mine, key=lambda o: o["id"])] == [
        ("org_ALPHA", "Alpha", "admin", True),
        ("org_BETA", "Beta", "member", False),
    ]

    moved = switch(client, "org_BETA")
    assert moved.status_code == 200, moved.content
    body = moved.json()
    assert body["user"]["organization_id"] == "org_BETA" and body["user"]["role"] == "member"
    assert claims(body["access_token"])["permissions"] == ["widgets:read"]
    assert body["session_config"]["enabled"] is True
    session = AuthSession.objects.get()
    assert (session.organization_id, session.role, session.permissions) == ("org_BETA", "member", ["widgets:read"])
    assert claims(body["access_token"])["sess"] == session.id  # the same sign-in goes on
    assert [s["organization_id"] for s in wos.store.sessions.values()] == ["org_BETA"]

    old = APIClient().post("/api/token/refresh/", {"refresh": first["refresh_token"]}, format="json")
    assert old.status_code == 401 and old.json()["code"] == "refresh_token_superseded"
    new = APIClient().post("/api/token/refresh/", {"refresh": body["refresh_token"]}, format="json")
    assert new.status_code == 200 and claims(new.json()["access"])["org_id"] == "org_BETA"
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.ORGANIZATION_SWITCHED)
    assert event.details["organization_id"] == "org_BETA" and event.details["previous_organization_id"] == "org_ALPHA"


def test_no_switch_without_an_active_membership(wos):
    person = _seed(wos)
    client, first = sign_in(wos)
    for target in ("org_GAMMA", "org_NOWHERE"):
        refused = switch(client, target)
        assert refused.status_code == 403 and refused.json()["code"] == "organization_not_allowed"
    membership = next(m for m in wos.store.memberships.values() if m["organization_id"] == "org_BETA")
    membership["status"] = "inactive"
    assert switch(client, "org_BETA").json()["code"] == "organization_not_allowed"
    assert switch(client, "nonsense").json()["code"] == "invalid_organization_id"
    # nothing changed: the sign-in and its tokens go on in Alpha
    assert AuthSession.objects.get().organization_id == "org_ALPHA"
    again = APIClient().post("/api/token/refresh/", {"refresh": first["refresh_token"]}, format="json")
    assert again.status_code == 200
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.ORGANIZATION_SWITCHED).exists()
    assert person["id"]


def test_an_organization_that_requires_sso_says_so_instead_of_switching(wos):
    _seed(wos)
    LoginRule.objects.create(pattern="*@beta.example", method=SignInMethod.SSO, organization_id="org_BETA")
    client, _ = sign_in(wos)
    refused = switch(client, "org_BETA")
    assert refused.status_code == 403 and refused.json()["code"] == "sso_required"
    assert refused.json()["detail"] == {"organization_id": "org_BETA", "required_method": "sso"}
    assert AuthSession.objects.get().organization_id == "org_ALPHA"


def test_a_sign_in_outside_workos_cannot_switch(wos):
    User.objects.create_user("local@example.com", "pw-local-12345")
    client = APIClient()
    pair = client.post("/api/token/", {"email": "local@example.com", "password": "pw-local-12345"}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.json()['access']}")
    refused = switch(client, "org_ALPHA")
    assert refused.status_code == 400 and refused.json()["code"] == "organization_switch_unavailable"
    assert client.get("/api/auth/organizations").json() == []
    assert APIClient().post("/api/auth/organization/switch", {"organization_id": "org_A"}).status_code == 401


def test_a_browser_switches_organization_from_the_header(client, wos):
    from sso import sync
    from tests.helpers import follow_hosted_sign_in

    _seed(wos)
    sync.sync_all()
    start = client.get("/auth/workos/start", {"next": "/account/sessions"})
    back = follow_hosted_sign_in(start["Location"], email="both@example.com", password="pw-both-12345")
    assert client.get("/auth/callback", {"code": back["code"], "state": back["state"]})["Location"] == "/auth/steps"
    client.post("/auth/steps", {"action": "organization", "organization_id": "org_ALPHA"})
    page = client.get("/account/sessions")
    assert b'data-testid="organization-switcher"' in page.content and b"Alpha \xe2\x96\xbe" in page.content

    chooser = client.get("/organization/switch", {"next": "/account/sessions"})
    assert sorted(m.organization_id for m in chooser.context["organizations"]) == ["org_ALPHA", "org_BETA"]
    moved = client.post("/organization/switch", {"organization_id": "org_BETA", "next": "/account/sessions"})
    assert moved.status_code == 302 and moved["Location"] == "/account/sessions"
    after = client.get("/account/sessions")
    assert b"Beta \xe2\x96\xbe" in after.content and b"You are now working in Beta." in after.content
    assert AuthSession.objects.get().organization_id == "org_BETA"

    refused = client.post("/organization/switch", {"organization_id": "org_GAMMA"}, follow=True)
    assert b"not an active member" in refused.content
    assert AuthSession.objects.get().organization_id == "org_BETA"


def test_an_organization_whose_policy_asks_for_mfa_names_the_step_instead_of_switching(wos):
    _seed(wos)
    wos.store.organizations["org_BETA"]["_mfa_required"] = True
    client, first = sign_in(wos)
    refused = switch(client, "org_BETA")
    assert refused.status_code == 403 and refused.json()["code"] == "organization_step_required"
    assert refused.json()["detail"] == {"organization_id": "org_BETA", "step": "mfa"}
    assert "multi-factor authentication" in refused.json()["message"]
    # nothing moved or was spent: the sign-in and its tokens go on in Alpha
    assert AuthSession.objects.get().organization_id == "org_ALPHA"
    again = APIClient().post("/api/token/refresh/", {"refresh": first["refresh_token"]}, format="json")
    assert again.status_code == 200 and claims(again.json()["access"])["org_id"] == "org_ALPHA"
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.ORGANIZATION_SWITCHED).exists()
