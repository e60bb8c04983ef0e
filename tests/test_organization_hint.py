"""A new person's organization: a hint (the request's, the configured default, any fallback)
places someone only where WorkOS says they belong; everything else is refused and writes nothing."""

import pytest

from accounts.models import AuditEvent, AuthSession, User

pytestmark = pytest.mark.django_db


def callback(api, **body):
    return api.post("/api/auth/workos/callback", body, format="json")


def _workos_sessions(wos, workos_user_id):
    return sorted(s["status"] for s in wos.store.sessions.values() if s["user_id"] == workos_user_id)


def _customers(wos):
    # created in this order (and their ids sort so, as WorkOS's do): org_MINE is the oldest
    wos.seed(
        organizations=[
            {"id": "org_MINE", "name": "Mine"},
            {"id": "org_VICTIM", "name": "Another customer", "domains": ["victim.test"]},
        ]
    )


def test_a_new_person_cannot_join_another_customer_by_naming_it(api, wos):
    _customers(wos)
    stranger = wos.add_user("stranger@example.com")
    response = callback(api, code=wos.code("stranger@example.com"), organization_id="org_VICTIM")
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "organization_not_allowed"
    assert not User.objects.exists() and not AuthSession.objects.exists()
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCOUNT_PROVISIONED).exists()
    assert _workos_sessions(wos, stranger["id"]) == ["revoked"]
    # without the hint the same person signs in, in no organization, and stays out of it later
    first = callback(api, code=wos.code("stranger@example.com"))
    assert first.status_code == 200 and first.json()["user"]["organization_id"] in ("", None)
    later = callback(api, code=wos.code("stranger@example.com"), organization_id="org_VICTIM")
    assert later.status_code == 200 and User.objects.get().organization_id == ""


def test_an_inactive_membership_does_not_admit(api, wos):
    _customers(wos)
    person = wos.add_user("former@example.com")
    membership = wos.store.add_membership(person["id"], "org_VICTIM")
    membership["status"] = "inactive"
    response = callback(api, code=wos.code("former@example.com"), organization_id="org_VICTIM")
    assert response.json()["code"] == "organization_not_allowed"
    assert not User.objects.exists()


def test_a_verified_domain_of_the_organization_admits(api, wos):
    _customers(wos)
    wos.add_user("colleague@victim.test")
    response = callback(api, code=wos.code("colleague@victim.test"), organization_id="org_VICTIM")
    assert response.status_code == 200, response.content
    assert User.objects.get().organization_id == "org_VICTIM"


def test_an_unverified_email_does_not_ride_the_domain(api, wos):
    _customers(wos)
    wos.add_user("claims@victim.test", email_verified=False)
    response = callback(api, code=wos.code("claims@victim.test"), organization_id="org_VICTIM")
    assert response.status_code == 403  # WorkOS asks to verify the email first: no account yet
    assert not User.objects.exists()


def test_a_pending_invitation_admits(api, wos):
    _customers(wos)
    wos.add_user("invited@example.com")
    invite = api_key_post(
        wos, "/user_management/invitations", {"email": "invited@example.com", "organization_id": "org_MINE"}
    )
    assert invite["state"] == "pending"
    response = callback(api, code=wos.code("invited@example.com"), organization_id="org_MINE")
    assert response.status_code == 200, response.content
    assert User.objects.get().organization_id == "org_MINE"


def test_an_active_membership_admits(wos):
    """WorkOS usually places a member itself; when it does not, the membership is what admits."""
    from accounts.signin import workos
    from accounts.signin.identity import Identity

    _customers(wos)
    person = wos.add_user("member@example.com")
    wos.store.add_membership(person["id"], "org_MINE")
    member = Identity(
        provider="workos",
        subject=person["id"],
        email=person["email"],
        email_verified=True,
        workos_user_id=person["id"],
        organization_hint="org_MINE",
    )
    assert workos.organization_for_new_person(member) == "org_MINE"
    member.organization_hint = ""
    assert workos.organization_for_new_person(member) == ""


def test_the_default_organization_admits_only_its_own(api, wos, settings):
    _customers(wos)
    settings.GATEHOUSE_DEFAULT_ORGANIZATION_ID = "org_VICTIM"
    wos.add_user("outsider@example.com")
    refused = callback(api, code=wos.code("outsider@example.com"))
    assert refused.status_code == 403 and refused.json()["code"] == "organization_not_allowed"
    assert not User.objects.exists()
    wos.add_user("insider@victim.test")
    assert callback(api, code=wos.code("insider@victim.test")).json()["user"]["organization_id"] == "org_VICTIM"


def test_the_open_fallback_is_for_single_tenant_deployments_only(api, wos, settings):
    _customers(wos)
    settings.GATEHOUSE_OPEN_ORGANIZATION_FALLBACK = True
    wos.add_user("first@example.com")
    # no default: the oldest organization
    assert callback(api, code=wos.code("first@example.com")).json()["user"]["organization_id"] == "org_MINE"
    settings.GATEHOUSE_DEFAULT_ORGANIZATION_ID = "org_VICTIM"
    wos.add_user("second@example.com")
    assert callback(api, code=wos.code("second@example.com")).json()["user"]["organization_id"] == "org_VICTIM"
    # a request's hint is never honoured without proof, fallback or not
    wos.add_user("third@example.com")
    assert (
        callback(api, code=wos.code("third@example.com"), organization_id="org_VICTIM").json()["code"]
        == "organization_not_allowed"
    )


def test_the_open_fallback_and_a_bad_default_are_named_at_startup(settings):
    from accounts.checks import check_workos

    settings.GATEHOUSE_DEFAULT_ORGANIZATION_ID = "acme"
    settings.GATEHOUSE_OPEN_ORGANIZATION_FALLBACK = True
    assert {e.id for e in check_workos()} >= {"gatehouse.E016", "gatehouse.W002"}


def api_key_post(wos, path, body):
    import requests

    response = requests.post(
        f"{wos.url}{path}", json=body, headers={"Authorization": "Bearer sk_test_emulator"}, timeout=5
    )
    assert response.status_code == 201, response.text
    return response.json()
