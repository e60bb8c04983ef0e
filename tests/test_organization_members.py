"""An organization's own admins run its members and invitations: list, change roles, remove
(signed out at once), invite by email (WorkOS sends it; accepting signs the person in as a
member with that role), revoke and resend; never leaving the organization without an admin."""

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEvent, AuthSession, User
from tests.helpers import follow_hosted_sign_in

pytestmark = pytest.mark.django_db


def _seed(wos):
    wos.seed(
        settings={"invitation_url": "http://testserver/invite"},
        organizations=[{"id": "org_ACME", "name": "Acme"}, {"id": "org_OTHER", "name": "Other"}],
    )
    people = {}
    for email, role, first in (("boss@acme.test", "admin", "Bo"), ("staff@acme.test", "member", "Sam")):
        people[email] = wos.add_user(email, first_name=first, last_name="Acme")
        wos.store.add_membership(people[email]["id"], "org_ACME", role=role)
    return people


def signed_in(wos, email):
    client = APIClient()
    answer = client.post("/api/auth/workos/callback", {"code": wos.code(email)}, format="json")
    assert answer.status_code == 200, answer.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {answer.json()['access_token']}")
    return client, answer.json()


def membership_of(wos, email):
    user = wos.store.user_by_email(email)
    return next(m for m in wos.store.memberships.values() if m["user_id"] == user["id"])


@pytest.fixture
def boss(wos):
    _seed(wos)
    return signed_in(wos, "boss@acme.test")[0]


def test_an_admin_lists_members_and_changes_a_role(boss, wos):
    listed = boss.get("/api/organization/members")
    assert listed.status_code == 200, listed.content
    rows = {m["email"]: m for m in listed.json()}
    assert set(rows) == {"boss@acme.test", "staff@acme.test"}
    assert rows["staff@acme.test"] | {"id": "", "user_id": ""} == {
        "id": "",
        "user_id": "",
        "email": "staff@acme.test",
        "name": "Sam Acme",
        "role": "member",
        "status": "active",
        "last_sign_in_at": None,
    }
    assert rows["boss@acme.test"]["last_sign_in_at"] is not None  # signed in here
    staff = rows["staff@acme.test"]["id"]
    promoted = boss.patch(f"/api/organization/members/{staff}", {"role": "admin"}, format="json")
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    assert membership_of(wos, "staff@acme.test")["role"]["slug"] == "admin"
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.MEMBER_ROLE_CHANGED)
    assert event.details | {"membership": ""} == {
        "organization_id": "org_ACME",
        "membership": "",
        "member": rows["staff@acme.test"]["user_id"],
        "role": "admin",
        "previous_role": "member",
    }
    assert boss.patch(f"/api/organization/members/{staff}", {"role": "Not A Role"}, format="json").json()["code"] == (
        "invalid_role"
    )


def test_the_last_admin_can_be_neither_demoted_nor_removed(boss, wos):
    mine = membership_of(wos, "boss@acme.test")["id"]
    demote = boss.patch(f"/api/organization/members/{mine}", {"role": "member"}, format="json")
    assert demote.status_code == 409 and demote.json()["code"] == "last_admin"
    remove = boss.delete(f"/api/organization/members/{mine}")
    assert remove.status_code == 409 and membership_of(wos, "boss@acme.test")["status"] == "active"


def test_a_removed_member_is_signed_out_of_the_organization(boss, wos):
    staff_client, staff_pair = signed_in(wos, "staff@acme.test")
    staff = membership_of(wos, "staff@acme.test")["id"]
    assert boss.delete(f"/api/organization/members/{staff}").status_code == 204
    assert membership_of(wos, "staff@acme.test")["status"] == "inactive"
    refused = APIClient().post("/api/token/refresh/", {"refresh": staff_pair["refresh_token"]}, format="json")
    assert refused.status_code == 401
    assert AuthSession.objects.get(user__email="staff@acme.test").revoked_reason == "membership_inactive"
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.MEMBER_REMOVED, details__organization_id="org_ACME").exists()
    assert staff_client.get("/api/organization/members").status_code in (401, 403)


def test_only_this_organizations_admins_and_members(boss, wos):
    other = wos.add_user("else@other.test")
    elsewhere = wos.store.add_membership(other["id"], "org_OTHER", role="member")
    missing = boss.patch(f"/api/organization/members/{elsewhere['id']}", {"role": "admin"}, format="json")
    assert missing.status_code == 404 and missing.json()["code"] == "member_not_found"
    assert boss.delete(f"/api/organization/members/{elsewhere['id']}").status_code == 404
    assert elsewhere["status"] == "active" and elsewhere["role"]["slug"] == "member"
    staff, _ = signed_in(wos, "staff@acme.test")
    refused = staff.get("/api/organization/members")
    assert refused.status_code == 403 and refused.json()["code"] == "organization_admin_required"
    assert staff.post("/api/organization/invitations", {"email": "x@acme.test"}, format="json").status_code == 403


def test_an_invitation_is_sent_resent_revoked_and_listed(boss, wos):
    sent = boss.post("/api/organization/invitations", {"email": "New@Example.com", "role": "member"}, format="json")
    assert sent.status_code == 201, sent.content
    invitation = sent.json()
    assert (
        invitation["email"] == "new@example.com" and invitation["state"] == "pending" and invitation["role"] == "member"
    )
    mail = wos.mail("new@example.com")
    assert mail["link"].startswith("http://testserver/invite?invitation_token=")
    again = boss.post("/api/organization/invitations", {"email": "new@example.com"}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "email_already_invited_to_organization"
    assert boss.post(f"/api/organization/invitations/{invitation['id']}/resend").status_code == 200
    assert [i["id"] for i in boss.get("/api/organization/invitations").json()] == [invitation["id"]]
    revoked = boss.post(f"/api/organization/invitations/{invitation['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    kinds = list(AuditEvent.objects.filter(details__organization_id="org_ACME").values_list("kind", flat=True))
    assert sorted(kinds) == ["invitation_resent", "invitation_revoked", "invitation_sent"]
    token = mail["link"].split("invitation_token=")[1]
    page = APIClient().get("/invite", {"invitation_token": token})
    assert page.status_code == 410 and b"withdrawn" in page.content
    assert APIClient().get("/invite", {"invitation_token": "nope"}).status_code == 404


def test_an_invited_person_accepts_from_the_email_and_arrives_as_a_member(boss, client, wos):
    boss.post("/api/organization/invitations", {"email": "newbie@example.com", "role": "admin"}, format="json")
    link = wos.mail("newbie@example.com")["link"]
    page = client.get(link.removeprefix("http://testserver"))
    assert page.status_code == 200 and b"Acme" in page.content and b"newbie@example.com" in page.content
    start = client.get(page.context["start"])
    assert start.status_code == 302 and "invitation_token=" in start["Location"]
    back = follow_hosted_sign_in(start["Location"], email="newbie@example.com")
    done = client.get("/auth/callback", {"code": back["code"], "state": back["state"]})
    assert done.status_code == 302, done.content
    person = User.objects.get(email="newbie@example.com")
    assert person.organization_id == "org_ACME" and person.role == "admin"
    assert membership_of(wos, "newbie@example.com")["status"] == "active"
    listed = {m["email"]: m for m in boss.get("/api/organization/members").json()}
    assert listed["newbie@example.com"]["role"] == "admin"
    used = client.get(link.removeprefix("http://testserver"))
    assert used.status_code == 410 and b"already accepted" in used.content


def test_the_organization_page_runs_members_invitations_and_keys_for_its_admins(client, wos):
    from sso import sync

    _seed(wos)
    sync.sync_all()
    start = client.get("/auth/workos/start", {"next": "/organization/"})
    back = follow_hosted_sign_in(start["Location"], email="boss@acme.test")
    assert client.get("/auth/callback", {"code": back["code"], "state": back["state"]})["Location"] == "/organization/"
    page = client.get("/organization/")
    assert page.status_code == 200 and b'data-testid="organization-page"' in page.content
    assert {m.email for m in page.context["members"]} == {"boss@acme.test", "staff@acme.test"}
    staff = membership_of(wos, "staff@acme.test")["id"]

    client.post("/organization/", {"action": "invite", "email": "later@example.com", "role": "member"})
    assert wos.mail("later@example.com")["link"]
    client.post("/organization/", {"action": "role", "membership": staff, "role": "admin"})
    assert membership_of(wos, "staff@acme.test")["role"]["slug"] == "admin"
    client.post("/organization/", {"action": "create_key", "name": "exports", "permissions": ""})
    shown = client.get("/organization/")
    assert shown.context["new_key"]["value"].encode() in shown.content
    assert [i.email for i in shown.context["invitations"]] == ["later@example.com"]
    assert (
        b"exports" in shown.content
        and shown.context["new_key"]["value"].encode() not in client.get("/organization/").content
    )
    client.post("/organization/", {"action": "remove", "membership": staff})
    assert membership_of(wos, "staff@acme.test")["status"] == "inactive"


def test_the_organization_page_is_for_admins_only(client, wos):
    _seed(wos)
    start = client.get("/auth/workos/start", {"next": "/"})
    back = follow_hosted_sign_in(start["Location"], email="staff@acme.test")
    client.get("/auth/callback", {"code": back["code"], "state": back["state"]})
    page = client.get("/organization/")
    assert page.status_code == 403 and b"Only an administrator" in page.content
    assert b'data-testid="organization-page"' not in client.get("/account/sessions").content
