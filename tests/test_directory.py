"""Directory sync and deprovisioning, against the emulator: a person removed or suspended in the
directory (or whose WorkOS membership ends) loses access within one webhook or one events run;
WorkOS roles and directory groups decide Django groups."""

import io
import json

import pytest
import requests
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from accounts.errors import ProviderUnavailable
from accounts.models import AuditEvent, AuthSession, User
from directory import sync as directory_sync
from directory.models import DirectoryGroup, DirectoryUser, Membership, RoleMapping
from sso import sync as sso_sync
from tests.test_workos_signin import callback
from workos_emulator.app import EmulatorApp
from workos_integration.models import EventCursor, WebhookEvent

pytestmark = pytest.mark.django_db

DANA = "dana@acme.test"


def acme(wos, **dana):
    """Acme (acme.test) with a directory holding Dana (Engineering), who is also a WorkOS user
    and a member of Acme."""
    wos.seed(
        organizations=[{"id": "org_ACME", "name": "Acme", "domains": ["acme.test"]}],
        users=[{"email": DANA, "first_name": "Dana", "organizations": ["org_ACME"], "role": "member"}],
        directories=[
            {
                "id": "directory_ACME",
                "name": "Acme Okta",
                "organization": "org_ACME",
                "groups": ["Engineering", "Sales"],
                "users": [
                    {
                        "id": "directory_user_DANA",
                        "email": DANA,
                        "first_name": "Dana",
                        "groups": ["Engineering"],
                        **dana,
                    }
                ],
            }
        ],
    )
    sso_sync.sync_all()
    directory_sync.sync_directories()


def sign_in(api, wos, email=DANA):
    response = callback(api, code=wos.code(email))
    assert response.status_code == 200, response.content
    return response.json()


def refresh(api, pair):
    return api.post("/api/token/refresh/", {"refresh": pair["refresh_token"]}, format="json")


def idp(wos, method, path, **body):
    """The customer's identity provider changing someone (the emulator's control surface)."""
    response = requests.request(method, f"{wos.url}/_emulator/{path}", json=body or None, timeout=20)
    assert response.status_code < 300, response.text
    return response


def post_event(client, event):
    body = json.dumps(event)
    return client.post(
        "/webhooks/workos",
        body,
        content_type="application/json",
        HTTP_WORKOS_SIGNATURE=EmulatorApp.sign_webhook("whsec_test", body),
    )


def emitted(wos, kind):
    return [e for e in wos.store.events if e["event"] == kind]


def catch_up():
    out = io.StringIO()
    call_command("catch_up_events", stdout=out)
    return out.getvalue()


# --- the mirror -------------------------------------------------------------------------------


def test_sync_mirrors_directories_groups_and_people_and_is_safe_to_run_twice(wos):
    acme(wos)
    dana = DirectoryUser.objects.get()
    assert (dana.email, dana.state, dana.organization_workos_id) == (DANA, "active", "org_ACME")
    assert [g.name for g in dana.groups.all()] == ["Engineering"]
    assert set(DirectoryGroup.objects.values_list("name", flat=True)) == {"Engineering", "Sales"}
    assert dana.user is None  # Dana has no account here yet
    report = directory_sync.sync_directories()
    assert (report.users.created, report.users.unchanged, report.users.removed) == (0, 1, 0)
    assert DirectoryUser.objects.count() == 1


def test_sync_removes_only_what_workos_no_longer_lists_and_that_person_loses_access(api, wos):
    acme(wos)
    pair = sign_in(api, wos)
    wos.store.directory_users.pop("directory_user_DANA")  # gone, and no event said so
    report = directory_sync.sync_directories()
    assert report.users.removed == 1 and not DirectoryUser.objects.exists()
    dana = User.objects.get(email=DANA)
    assert not dana.is_active and dana.deprovisioned_reason == "directory_user_removed"
    assert refresh(api, pair).json()["code"] == "session_revoked"


def test_a_failing_sync_removes_nobody(api, wos):
    acme(wos)
    sign_in(api, wos)
    wos.store.directory_users.pop("directory_user_DANA")
    wos.inject("/directory_users", status=500)
    with pytest.raises(ProviderUnavailable, match="list directory users"):
        directory_sync.sync_directories()
    assert DirectoryUser.objects.count() == 1 and User.objects.get(email=DANA).is_active


# --- removal, live: the emulator delivers the webhook to the running app --------------------------


@pytest.mark.django_db(transaction=True)
def test_removed_from_the_directory_ends_token_refresh_browser_session_and_workos_sessions(
    live_server, client, api, wos
):
    acme(wos)
    wos.store.add_webhook_endpoint(f"{live_server.url}/webhooks/workos", "whsec_test")
    pair = sign_in(api, wos)
    dana = User.objects.get(email=DANA)
    client.force_login(dana)
    AuthSession.objects.create(user=dana, method="authkit", channel="browser")
    assert refresh(api, pair).status_code == 200
    workos_sessions = [s for s in wos.store.sessions.values() if s["user_id"] == dana.workos_user_id]
    assert workos_sessions and all(s["status"] == "active" for s in workos_sessions)

    idp(wos, "DELETE", "directory_users/directory_user_DANA")  # one webhook, nobody touches Gatehouse

    dana.refresh_from_db()
    assert not dana.is_active and dana.deprovisioned_reason == "directory_user_removed"
    assert not AuthSession.objects.filter(user=dana, revoked_at__isnull=True).exists()
    assert set(AuthSession.objects.filter(user=dana).values_list("revoked_reason", flat=True)) == {
        "directory_user_removed"
    }
    assert refresh(api, pair).status_code == 401
    assert client.get("/account/sessions")["Location"].startswith("/auth/login")
    assert all(s["status"] == "revoked" for s in wos.store.sessions.values() if s["user_id"] == dana.workos_user_id)
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.USER_DEPROVISIONED)
    assert (
        event.reason == "directory_user_removed"
        and event.details["action"] == "deactivate"
        and event.details["directory_user"] == "directory_user_DANA"
    )
    assert User.objects.filter(email=DANA).exists()  # nothing is deleted
    # and they cannot sign back in
    assert callback(api, code=wos.code(DANA)).json()["code"] == "user_inactive"


# --- no event lost: the Events API ------------------------------------------------------------


def test_a_suspension_missed_by_webhooks_is_applied_by_one_events_run_and_only_once(api, client, wos):
    acme(wos)
    catch_up()  # the cursor is now past the setup's events
    pair = sign_in(api, wos)
    idp(
        wos, "PATCH", "directory_users/directory_user_DANA", state="inactive"
    )  # no webhook endpoint: Gatehouse was down
    assert User.objects.get(email=DANA).is_active
    catch_up()
    dana = User.objects.get(email=DANA)
    assert not dana.is_active and dana.deprovisioned_reason == "directory_user_inactive"
    assert refresh(api, pair).json()["code"] == "session_revoked"
    applied = WebhookEvent.objects.count()
    # the late webhook of the same event changes nothing; a second run neither
    late = emitted(wos, "dsync.user.updated")[-1]
    assert post_event(client, {k: v for k, v in late.items() if not k.startswith("_")}).json() == {
        "status": "duplicate"
    }
    assert catch_up().startswith("0 events read (nothing new)")
    assert WebhookEvent.objects.count() == applied
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.USER_DEPROVISIONED).count() == 1
    assert EventCursor.objects.get().last_event_id == late["id"]


def test_an_events_run_forgets_records_older_than_the_events_window(wos):
    from datetime import timedelta

    from django.utils import timezone

    from workos_integration.models import Tombstone

    now = timezone.now()
    for age_days, name in ((31, "old"), (29, "recent")):
        WebhookEvent.objects.create(event_id=f"event_{name}", event="dsync.user.updated")
        WebhookEvent.objects.filter(event_id=f"event_{name}").update(received_at=now - timedelta(days=age_days))
        Tombstone.objects.create(
            workos_id=f"directory_user_{name}", kind="directory_user", deleted_at=now - timedelta(days=age_days)
        )
    assert "2 records older than 30 days forgotten" in catch_up()
    assert list(WebhookEvent.objects.values_list("event_id", flat=True)) == ["event_recent"]
    assert list(Tombstone.objects.values_list("workos_id", flat=True)) == ["directory_user_recent"]
    assert "forgotten" not in catch_up()


def test_reactivation_in_the_directory_restores_access(api, wos):
    acme(wos)
    sign_in(api, wos)
    idp(wos, "PATCH", "directory_users/directory_user_DANA", state="inactive")
    catch_up()
    assert callback(api, code=wos.code(DANA)).status_code == 403
    idp(wos, "PATCH", "directory_users/directory_user_DANA", state="active")
    catch_up()
    dana = User.objects.get(email=DANA)
    assert dana.is_active and dana.deprovisioned_reason == ""
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.USER_REACTIVATED, user=dana).exists()
    sign_in(api, wos)


def test_an_account_an_administrator_deactivated_stays_deactivated(api, wos):
    acme(wos)
    sign_in(api, wos)
    User.objects.filter(email=DANA).update(is_active=False)
    idp(wos, "PATCH", "directory_users/directory_user_DANA", state="active", first_name="Dana")
    catch_up()
    assert not User.objects.get(email=DANA).is_active


def _membership_action(wos, dana, verb):
    membership = next(m for m in wos.store.memberships.values() if m["user_id"] == dana.workos_user_id)
    headers = {"Authorization": f"Bearer {wos.store.api_key}"}
    requests.put(
        f"{wos.url}/user_management/organization_memberships/{membership['id']}/{verb}", headers=headers, timeout=5
    ).raise_for_status()


def test_access_comes_back_only_when_every_source_that_took_it_gives_it_back(api, wos, settings):
    settings.GATEHOUSE_DEPROVISIONING = {"membership_inactive": "deactivate"}
    acme(wos)
    sign_in(api, wos)
    dana = User.objects.get(email=DANA)
    idp(wos, "PATCH", "directory_users/directory_user_DANA", state="suspended")
    _membership_action(wos, dana, "deactivate")
    catch_up()
    dana.refresh_from_db()
    assert not dana.is_active and dana.deprovisioned_sources == ["directory_user_inactive", "membership_inactive"]
    idp(wos, "PATCH", "directory_users/directory_user_DANA", state="active")
    catch_up()
    dana.refresh_from_db()
    assert (
        not dana.is_active
        and dana.deprovisioned_sources == ["membership_inactive"]
        and dana.deprovisioned_reason == "membership_inactive"
    )
    assert callback(api, code=wos.code(DANA)).json()["code"] == "user_inactive"
    _membership_action(wos, dana, "reactivate")
    catch_up()
    dana.refresh_from_db()
    assert dana.is_active and dana.deprovisioned_sources == [] and dana.deprovisioned_reason == ""
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.USER_REACTIVATED, user=dana).count() == 1


def test_a_directory_that_suspends_and_restores_someone_an_administrator_deactivated_leaves_them_deactivated(api, wos):
    acme(wos)
    sign_in(api, wos)
    User.objects.filter(email=DANA).update(is_active=False)
    idp(wos, "PATCH", "directory_users/directory_user_DANA", state="suspended")
    catch_up()
    idp(wos, "PATCH", "directory_users/directory_user_DANA", state="active")
    catch_up()
    dana = User.objects.get(email=DANA)
    assert not dana.is_active and dana.deprovisioned_sources == [] and dana.deprovisioned_reason == ""


def test_an_administrators_deactivation_outlasts_sources_that_only_took_the_organization(api, wos):
    acme(wos)
    sign_in(api, wos)
    dana = User.objects.get(email=DANA)
    _membership_action(wos, dana, "deactivate")  # takes the organization, not the account
    catch_up()
    User.objects.filter(pk=dana.pk).update(is_active=False)  # then an administrator deactivates
    idp(wos, "PATCH", "directory_users/directory_user_DANA", state="suspended")
    catch_up()
    idp(wos, "PATCH", "directory_users/directory_user_DANA", state="active")
    catch_up()
    dana.refresh_from_db()
    assert not dana.is_active and dana.deprovisioned_sources == ["membership_inactive"]


def test_a_membership_deactivated_in_workos_takes_that_organization_away(api, wos):
    acme(wos)
    pair = sign_in(api, wos)
    dana = User.objects.get(email=DANA)
    assert dana.organization_id == "org_ACME"
    membership = next(m for m in wos.store.memberships.values() if m["user_id"] == dana.workos_user_id)
    headers = {"Authorization": f"Bearer {wos.store.api_key}"}
    requests.put(
        f"{wos.url}/user_management/organization_memberships/{membership['id']}/deactivate", headers=headers, timeout=5
    ).raise_for_status()
    catch_up()
    dana.refresh_from_db()
    assert dana.is_active and dana.organization_id == "" and dana.deprovisioned_reason == "membership_inactive"
    assert refresh(api, pair).json()["code"] == "session_revoked"
    assert Membership.objects.get().status == "inactive"
    requests.put(
        f"{wos.url}/user_management/organization_memberships/{membership['id']}/reactivate", headers=headers, timeout=5
    ).raise_for_status()
    catch_up()
    dana.refresh_from_db()
    assert dana.organization_id == "org_ACME" and dana.deprovisioned_reason == ""


def test_catch_up_failure_is_a_clear_error_and_keeps_the_cursor(wos):
    acme(wos)
    catch_up()
    cursor = EventCursor.objects.get().last_event_at
    wos.inject("/events", status=500)
    with pytest.raises(CommandError, match="Could not read WorkOS events"):
        call_command("catch_up_events")
    assert EventCursor.objects.get().last_event_at == cursor


# --- what the setting says, and what a directory may not do ------------------------------------


@pytest.mark.parametrize(
    "action, active, organization, sessions_left",
    [
        ("ignore", True, "org_ACME", 1),
        ("end_sessions", True, "org_ACME", 0),
        ("remove_organization", True, "", 0),
        ("deactivate", False, "org_ACME", 0),
    ],
)
def test_the_setting_decides_the_action(api, wos, settings, action, active, organization, sessions_left):
    settings.GATEHOUSE_DEPROVISIONING = {"directory_user_removed": action}
    acme(wos)
    sign_in(api, wos)
    idp(wos, "DELETE", "directory_users/directory_user_DANA")
    catch_up()
    dana = User.objects.get(email=DANA)
    assert (dana.is_active, dana.organization_id) == (active, organization)
    assert AuthSession.objects.filter(user=dana, revoked_at__isnull=True).count() == sessions_left


def test_a_bad_setting_is_a_system_check_error(settings):
    from directory.checks import deprovisioning_setting

    settings.GATEHOUSE_DEPROVISIONING = {"directory_user_removed": "delete", "someone_sneezed": "deactivate"}
    assert sorted(e.id for e in deprovisioning_setting(None)) == ["directory.E002", "directory.E003"]


def test_another_organizations_directory_cannot_remove_our_people(api, wos):
    acme(wos)
    sign_in(api, wos)
    wos.seed(
        organizations=[{"id": "org_EVIL", "name": "Evil", "domains": ["evil.test"]}],
        directories=[
            {
                "id": "directory_EVIL",
                "name": "Evil",
                "organization": "org_EVIL",
                "users": [{"id": "directory_user_FAKE", "email": DANA}],
            }
        ],
    )
    directory_sync.sync_directories()
    assert DirectoryUser.objects.get(workos_id="directory_user_FAKE").user is None
    idp(wos, "DELETE", "directory_users/directory_user_FAKE")
    catch_up()
    assert User.objects.get(email=DANA).is_active


def test_malformed_directory_events_are_refused_and_write_nothing(client, wos):
    event = {
        "id": "event_bad",
        "event": "dsync.user.deleted",
        "data": {"id": "directory_user_X", "state": "inactive", "updated_at": "2026-01-01T00:00:00Z"},
    }
    response = post_event(client, event)
    assert response.status_code == 400 and response.json()["code"] == "invalid_event"
    assert not WebhookEvent.objects.exists()


# --- roles and directory groups -> Django groups ----------------------------------------------


def test_workos_roles_and_directory_groups_decide_django_groups(api, client, wos):
    admins, engineers, hand_picked = (Group.objects.create(name=n) for n in ("Admins", "Engineers", "Hand-picked"))
    RoleMapping.objects.create(source="role", value="admin", organization_workos_id="org_ACME", group=admins)
    RoleMapping.objects.create(source="directory_group", value="Engineering", group=engineers)
    acme(wos)
    sign_in(api, wos)
    dana = User.objects.get(email=DANA)
    dana.groups.add(hand_picked)
    client.force_login(dana)

    def groups_of_request_user():
        return set(client.get("/account/sessions").wsgi_request.user.groups.values_list("name", flat=True))

    assert groups_of_request_user() == {"Engineers", "Hand-picked"}
    membership = next(m for m in wos.store.memberships.values() if m["user_id"] == dana.workos_user_id)
    headers = {"Authorization": f"Bearer {wos.store.api_key}"}
    requests.put(
        f"{wos.url}/user_management/organization_memberships/{membership['id']}",
        json={"role_slug": "admin"},
        headers=headers,
        timeout=5,
    ).raise_for_status()
    catch_up()
    assert groups_of_request_user() == {"Admins", "Engineers", "Hand-picked"}
    assert User.objects.get(pk=dana.pk).role == "admin"
    idp(wos, "PATCH", "directory_users/directory_user_DANA", groups=["Sales"])
    catch_up()
    assert groups_of_request_user() == {"Admins", "Hand-picked"}
    event = AuditEvent.objects.filter(kind=AuditEvent.Kind.GROUPS_CHANGED).first()
    assert event.details == {"added": [], "removed": ["Engineers"]}  # by name


def test_a_deleted_directory_takes_back_the_groups_only_it_gave_and_nothing_else(api, client, wos):
    engineers, members = Group.objects.create(name="Engineers"), Group.objects.create(name="Members")
    RoleMapping.objects.create(source="directory_group", value="Engineering", group=engineers)
    RoleMapping.objects.create(source="role", value="member", group=members)
    acme(wos)
    sign_in(api, wos)
    dana = User.objects.get(email=DANA)
    assert set(dana.groups.values_list("name", flat=True)) == {"Engineers", "Members"}
    event = {
        "id": "event_dir_gone",
        "event": "dsync.deleted",
        "created_at": "2030-01-01T00:00:00Z",
        "data": {"id": "directory_ACME", "organization_id": "org_ACME", "updated_at": "2030-01-01T00:00:00Z"},
    }
    assert post_event(client, event).status_code == 200
    assert not DirectoryUser.objects.exists() and not DirectoryGroup.objects.exists()
    dana.refresh_from_db()
    assert dana.is_active and list(dana.groups.values_list("name", flat=True)) == ["Members"]


def test_without_mappings_group_alignment_costs_no_query(api, wos, django_assert_num_queries):
    from directory.access import align_groups

    acme(wos)
    sign_in(api, wos)
    dana = User.objects.get(email=DANA)
    align_groups(dana)  # fills the cache
    with django_assert_num_queries(0):
        assert align_groups(dana) is False


# --- the admin ---------------------------------------------------------------------------------


def test_admin_lists_searches_and_syncs_the_directory(client, wos):
    acme(wos)
    client.force_login(User.objects.create_superuser("root@example.com", "root-password-1"))
    page = client.get("/admin/directory/directoryuser/", {"q": "dana", "state__exact": "active"})
    assert page.status_code == 200 and DANA in page.content.decode() and "Sync now" in page.content.decode()
    assert client.get(f"/admin/directory/directoryuser/{DirectoryUser.objects.get().pk}/change/").status_code == 200
    assert client.get("/admin/directory/directoryuser/add/").status_code == 403
    synced = client.post("/admin/directory/directoryuser/sync/", follow=True)
    assert "Synced from WorkOS" in synced.content.decode()
    assert client.get("/admin/directory/rolemapping/add/").status_code == 200
    assert (
        client.get("/admin/directory/directory/").status_code == 200
        and client.get("/admin/directory/membership/").status_code == 200
    )


def test_a_new_mapping_applies_to_everyone_at_once_from_the_admin_or_the_command(api, client, wos):
    acme(wos)
    sign_in(api, wos)
    dana = User.objects.get(email=DANA)
    engineers = Group.objects.create(name="Engineers")
    RoleMapping.objects.create(source="directory_group", value="Engineering", group=engineers)
    assert not dana.groups.exists()  # until Dana's next sign-in or event
    client.force_login(User.objects.create_superuser("root@example.com", "root-password-1"))
    assert "Apply to everyone now" in client.get("/admin/directory/rolemapping/").content.decode()
    done = client.post("/admin/directory/rolemapping/apply/", follow=True)
    assert "1 account(s) changed" in done.content.decode()
    assert list(dana.groups.values_list("name", flat=True)) == ["Engineers"]
    call_command("align_groups", stdout=io.StringIO())
    assert list(dana.groups.values_list("name", flat=True)) == ["Engineers"]


def test_a_group_no_mapping_names_any_more_loses_what_the_mappings_granted(api, wos):
    acme(wos)
    sign_in(api, wos)
    dana = User.objects.get(email=DANA)
    local = User.objects.create_user("local@example.com", "local-password-1")  # WorkOS says nothing of them
    engineers, builders = Group.objects.create(name="Engineers"), Group.objects.create(name="Builders")
    by_group = RoleMapping.objects.create(source="directory_group", value="Engineering", group=engineers)
    by_role = RoleMapping.objects.create(source="role", value="member", group=engineers)
    call_command("align_groups", stdout=io.StringIO())
    local.groups.add(engineers)
    assert set(engineers.user_set.all()) == {dana, local}
    by_group.delete()  # another mapping still names the group: alignment decides, nothing released
    assert set(engineers.user_set.all()) == {dana, local}
    by_role.group = builders  # moved: Engineers is unmanaged from now on
    by_role.save()
    assert set(engineers.user_set.all()) == {local}
    event = AuditEvent.objects.filter(kind=AuditEvent.Kind.GROUPS_CHANGED, user=dana).latest("pk")
    assert event.details == {"added": [], "removed": ["Engineers"]}  # by name and event.reason == "mapping_removed"
    call_command("align_groups", stdout=io.StringIO())
    assert list(dana.groups.values_list("name", flat=True)) == ["Builders"]
    RoleMapping.objects.filter(group=builders).delete()
    assert not dana.groups.exists() and list(local.groups.all()) == [engineers]


def test_a_sync_gives_access_back_to_someone_the_directory_lists_again(api, wos):
    """The demo's restart: a person removed earlier, listed active again by a fresh directory."""
    acme(wos)
    sign_in(api, wos)
    removed = wos.store.directory_users.pop("directory_user_DANA")
    directory_sync.sync_directories()
    assert not User.objects.get(email=DANA).is_active
    wos.store.directory_users["directory_user_DANA"] = removed  # listed again, active
    directory_sync.sync_directories()
    dana = User.objects.get(email=DANA)
    assert dana.is_active and dana.deprovisioned_reason == ""
    assert sign_in(api, wos)["user"]["email"] == DANA


def test_a_first_sign_in_links_the_directory_entry_at_once(api, wos):
    acme(wos)
    assert DirectoryUser.objects.get().user is None
    sign_in(api, wos)
    assert DirectoryUser.objects.get().user.email == DANA  # no sync needed
