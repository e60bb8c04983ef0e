"""SSO: mirror sync, delete in WorkOS, webhooks, sign-in by domain; against the emulator."""

import itertools
import json
import threading
import time

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from sso import sync
from sso.models import Connection, Organization, OrganizationDomain
from workos_emulator.app import EmulatorApp
from workos_emulator.store import public
from workos_integration.models import WebhookEvent

pytestmark = pytest.mark.django_db


def seed_org(wos):
    wos.seed(
        organizations=[{"id": "org_ACME", "name": "Acme", "domains": ["acme.test"]}],
        connections=[
            {
                "id": "conn_ACME",
                "name": "Acme Okta",
                "organization": "org_ACME",
                "profiles": [{"email": "sam@acme.test", "first_name": "Sam"}],
            }
        ],
    )


# --- sync ------------------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [sync.WRITE_BATCH, 100, 7])
def test_sync_many_pages_with_creates_updates_and_removals(wos, batch):
    seed_org(wos)
    for i in range(250):
        wos.store.add_connection(f"Conn {i:03}", organization="org_ACME", domains=[f"d{i}.test"])
    with CaptureQueriesContext(connection) as queries:
        report = sync.sync_all(batch=batch)
    assert (report.connections.created, report.connections.updated, report.connections.removed) == (251, 0, 0)
    assert report.organizations.created == 1
    assert Connection.objects.count() == 251
    assert Connection.objects.get(workos_id="conn_ACME").organization.name == "Acme"
    pages = len([e for e in wos.log("/connections")])
    assert pages == 3  # 100 + 100 + 51
    batches = -(-251 // batch) + 1  # the connections' and the organization's
    assert len(queries) <= 5 * batches + 9  # proportional to batches, not to rows (+3: the organization's domains)

    # change one, delete one in WorkOS, add one
    victim = next(c for c in wos.store.connections.values() if c["name"] == "Conn 007")
    del wos.store.connections[victim["id"]]
    wos.store.connections["conn_ACME"]["name"] = "Acme Okta (renamed)"
    wos.store.add_connection("Brand new", organization="org_ACME")
    report = sync.sync_all(batch=batch)
    counts = report.connections
    assert (counts.created, counts.updated, counts.unchanged, counts.removed) == (1, 1, 249, 1)
    assert Connection.objects.get(workos_id="conn_ACME").name == "Acme Okta (renamed)"
    assert not Connection.objects.filter(name="Conn 007").exists()


def test_read_ahead_keeps_order_raises_where_it_failed_and_stops_with_its_consumer():
    from workos_integration.client import read_ahead

    assert list(read_ahead(iter(range(50)), depth=2)) == list(range(50))

    def failing():
        yield 1
        yield 2
        raise ValueError("page 3")

    got = []
    with pytest.raises(ValueError, match="page 3"):
        for item in read_ahead(failing()):
            got.append(item)
    assert got == [1, 2]

    produced, finished = [], threading.Event()

    def endless():
        try:
            for i in itertools.count():
                produced.append(i)
                yield i
        finally:
            finished.set()

    reader = read_ahead(endless(), depth=2)
    assert next(reader) == 0
    reader.close()  # the consumer stops early (an error of its own, say)
    assert finished.wait(5)  # the producer stopped too, and closed what it read from
    assert len(produced) <= 5


def test_sync_failure_midway_removes_nothing(wos):
    seed_org(wos)
    for i in range(150):
        wos.store.add_connection(f"C{i}", organization="org_ACME")
    sync.sync_all()
    wos.inject("/connections", status=500, times=None)
    from accounts.errors import GatehouseError

    with pytest.raises(GatehouseError) as failed:
        sync.sync_all()
    assert failed.value.code == "workos_unavailable"
    assert Connection.objects.count() == 151


def test_sync_command_reports_counts(wos, capsys):
    seed_org(wos)
    call_command("sync_sso")
    assert "connections: 1 created, 0 updated, 0 unchanged, 0 removed" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_two_syncs_at_once_leave_a_consistent_mirror(wos):
    import threading

    seed_org(wos)
    for i in range(120):
        wos.store.add_connection(f"C{i}", organization="org_ACME")
    errors = []

    def run():
        try:
            sync.sync_all()
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert Connection.objects.count() == 121
    assert set(Connection.objects.values_list("workos_id", flat=True)) == set(wos.store.connections)


# --- delete in WorkOS ------------------------------------------------------------------------


@pytest.fixture
def staff(client):
    user = User.objects.create_user("ops@example.com", "ops-password-1", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_connection", "delete_connection", "sync_connections"])
    )
    client.force_login(user)
    return client


def test_admin_delete_asks_then_deletes_in_workos_first(staff, wos):
    seed_org(wos)
    sync.sync_all()
    conn = Connection.objects.get()
    confirm = staff.get(f"/admin/sso/connection/{conn.pk}/delete-in-workos/")
    assert confirm.status_code == 200 and b"deleted permanently in WorkOS" in confirm.content
    assert Connection.objects.exists()
    done = staff.post(f"/admin/sso/connection/{conn.pk}/delete-in-workos/", {"confirm": "yes"}, follow=True)
    assert b"Deleted in WorkOS: Acme Okta" in done.content
    assert not Connection.objects.exists()
    assert "conn_ACME" not in wos.store.connections


def test_admin_delete_keeps_the_row_when_workos_fails(staff, wos):
    seed_org(wos)
    sync.sync_all()
    conn = Connection.objects.get()
    wos.inject("/connections/*", method="DELETE", status=500, times=None)
    done = staff.post(f"/admin/sso/connection/{conn.pk}/delete-in-workos/", {"confirm": "yes"}, follow=True)
    assert b"Could not delete Acme Okta" in done.content
    assert Connection.objects.filter(pk=conn.pk).exists()
    assert "conn_ACME" in wos.store.connections


def test_bulk_delete_action_with_partial_failure(staff, wos):
    seed_org(wos)
    wos.seed(connections=[{"id": "conn_B", "name": "Second", "organization": "org_ACME"}])
    sync.sync_all()
    wos.inject("/connections/conn_B", method="DELETE", status=503, times=None)
    ids = list(Connection.objects.values_list("pk", flat=True))
    confirm = staff.post("/admin/sso/connection/", {"action": "delete_selected_in_workos", "_selected_action": ids})
    assert b"Yes, delete in WorkOS" in confirm.content
    staff.post(
        "/admin/sso/connection/", {"action": "delete_selected_in_workos", "_selected_action": ids, "confirm": "yes"}
    )
    assert list(Connection.objects.values_list("workos_id", flat=True)) == ["conn_B"]


def test_staff_without_permissions_cannot_see_or_act(client, wos):
    seed_org(wos)
    sync.sync_all()
    user = User.objects.create_user("viewer@example.com", "pw-viewer-123", is_staff=True)
    client.force_login(user)
    assert client.get("/admin/sso/connection/").status_code == 403
    conn = Connection.objects.get()
    assert client.post(f"/admin/sso/connection/{conn.pk}/delete-in-workos/", {"confirm": "yes"}).status_code == 403
    assert client.post("/admin/sso/connection/sync/").status_code == 403
    assert "conn_ACME" in wos.store.connections


def test_admin_search_and_filters(staff, wos):
    seed_org(wos)
    sync.sync_all()
    assert b"Acme Okta" in staff.get("/admin/sso/connection/", {"q": "acme.test"}).content
    assert b"Acme Okta" not in staff.get("/admin/sso/connection/", {"q": "nomatch.test"}).content
    assert b"Acme Okta" in staff.get("/admin/sso/connection/", {"state": "active"}).content
    detail = staff.get(f"/admin/sso/connection/{Connection.objects.get().pk}/change/")
    assert b"Open in WorkOS" in detail.content and b"acme.test" in detail.content


# --- webhooks --------------------------------------------------------------------------------


def _post_event(client, event, *, secret="whsec_test", ts_ms=None):
    body = json.dumps(event)
    header = EmulatorApp.sign_webhook(secret, body, ts_ms)
    return client.post("/webhooks/workos", body, content_type="application/json", HTTP_WORKOS_SIGNATURE=header)


def _conn_event(wos, kind, event_id="event_1"):
    return {
        "id": event_id,
        "event": kind,
        "data": EmulatorApp._connection_event_data(wos.store.connections["conn_ACME"]),
        "created_at": "2026-01-01T00:00:00.000Z",
    }


def test_webhook_good_event_is_applied_once(client, wos):
    seed_org(wos)
    sync.sync_all()
    wos.store.connections["conn_ACME"]["state"] = "inactive"
    wos.store.connections["conn_ACME"]["updated_at"] = "2030-01-01T00:00:00.000Z"
    event = _conn_event(wos, "connection.deactivated")
    first = _post_event(client, event)
    assert first.status_code == 200 and first.json() == {"status": "applied"}
    assert Connection.objects.get().state == "inactive"
    replay = _post_event(client, event)
    assert replay.json() == {"status": "duplicate"}
    assert WebhookEvent.objects.count() == 1


def test_webhook_out_of_order_event_does_not_overwrite_newer_data(client, wos):
    seed_org(wos)
    sync.sync_all()
    old = _conn_event(wos, "connection.deactivated", "event_old")
    old["data"]["updated_at"] = "2000-01-01T00:00:00.000Z"
    old["data"]["state"] = "inactive"
    assert _post_event(client, old).json() == {"status": "stale"}
    assert Connection.objects.get().state == "active"


def test_webhook_deleted_event_removes_the_row(client, wos):
    seed_org(wos)
    sync.sync_all()
    assert _post_event(client, _conn_event(wos, "connection.deleted")).json() == {"status": "applied"}
    assert not Connection.objects.exists()


@pytest.mark.parametrize(
    "kwargs, status, code",
    [
        ({"secret": "wrong"}, 401, "invalid_signature"),
        ({"ts_ms": int((time.time() - 3600) * 1000)}, 401, "signature_stale"),
        ({"ts_ms": int((time.time() + 3600) * 1000)}, 401, "signature_stale"),
    ],
)
def test_webhook_bad_or_stale_signatures(client, wos, kwargs, status, code):
    seed_org(wos)
    response = _post_event(client, _conn_event(wos, "connection.activated"), **kwargs)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert WebhookEvent.objects.count() == 0


def test_webhook_missing_or_malformed_signature(client):
    assert client.post("/webhooks/workos", "{}", content_type="application/json").json()["code"] == "signature_missing"
    bad = client.post("/webhooks/workos", "{}", content_type="application/json", HTTP_WORKOS_SIGNATURE="garbage")
    assert bad.status_code == 400 and bad.json()["code"] == "signature_malformed"


def test_webhook_unknown_event_is_ignored_with_200(client):
    response = _post_event(
        client,
        {"id": "event_x", "event": "user.created", "data": {"id": "user_1"}, "created_at": "2026-01-01T00:00:00Z"},
    )
    assert response.status_code == 200 and response.json() == {"status": "ignored"}


def test_emulator_delivers_signed_events_to_the_live_app(live_server, wos, settings):
    seed_org(wos)
    sync.sync_all()
    wos.store.add_webhook_endpoint(f"{live_server.url}/webhooks/workos", "whsec_test")
    import requests

    result = requests.post(
        f"{wos.url}/_emulator/connections/conn_ACME/state", json={"state": "inactive"}, timeout=20
    ).json()
    deliveries = [d for d in wos.store.deliveries if d["event_id"] == result["id"]]
    assert [d["status"] for d in deliveries] == [200]
    assert Connection.objects.get().state == "inactive"


# --- SSO sign-in by domain -------------------------------------------------------------------


def test_sso_page_routes_work_email_to_the_organization(client, wos):
    seed_org(wos)
    sync.sync_all()
    response = client.post("/auth/sso", {"email": "Sam@ACME.test"})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{wos.url}/sso/authorize?") and "organization=org_ACME" in location
    from tests.helpers import follow_hosted_sign_in

    back = follow_hosted_sign_in(location, email="sam@acme.test")
    done = client.get("/auth/callback", {"code": back["code"], "state": back["state"]})
    assert done.status_code == 302
    assert client.get("/").context["user"].email == "sam@acme.test"


def test_sso_page_unknown_domain_says_so(client, wos):
    response = client.post("/auth/sso", {"email": "who@unknown.test"})
    assert response.status_code == 404
    assert b"Single sign-on is not set up for this email domain." in response.content


def test_sso_authorize_api(api, wos):
    seed_org(wos)
    sync.sync_all()
    ok = api.get("/api/auth/sso/authorize", {"email": "x@acme.test"})
    assert ok.status_code == 200 and "organization=org_ACME" in ok.json()["authorization_url"]
    by_conn = api.get("/api/auth/sso/authorize", {"connection_id": "conn_ACME"})
    assert "connection=conn_ACME" in by_conn.json()["authorization_url"]
    unknown = api.get("/api/auth/sso/authorize", {"email": "x@nowhere.test"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "sso_not_available"
    assert api.get("/api/auth/sso/authorize").json()["code"] == "sso_target_missing"


def _sso_target(api, email):
    """The organization SSO sign-in by work email picks for `email`, or the refusal's code."""
    response = api.get("/api/auth/sso/authorize", {"email": email})
    if response.status_code != 200:
        return response.json()["code"]
    return (
        "org_ACME"
        if "organization=org_ACME" in response.json()["authorization_url"]
        else response.json()["authorization_url"]
    )


def _move_acme(wos, domains):
    org = wos.store.organizations["org_ACME"]
    org["domains"] = wos.store.domain_objects("org_ACME", domains)
    org["updated_at"] = f"2030-01-01T00:00:0{len(domains)}.000Z"


def test_the_organization_of_a_work_email_follows_its_verified_domains(client, api, wos):
    seed_org(wos)
    sync.sync_all()
    assert _sso_target(api, "x@acme.test") == "org_ACME"

    # a sync brings a change of domains; a domain WorkOS has not verified leads nowhere
    _move_acme(wos, [{"domain": "Acme.Example", "state": "verified"}, {"domain": "pending.test", "state": "pending"}])
    sync.sync_all()
    assert [_sso_target(api, f"x@{d}") for d in ("acme.test", "ACME.example", "pending.test")] == [
        "sso_not_available",
        "org_ACME",
        "sso_not_available",
    ]
    assert list(OrganizationDomain.objects.values_list("domain", flat=True)) == ["acme.example"]

    # a sync that finds the domains unchanged leaves their rows alone
    with CaptureQueriesContext(connection) as queries:
        sync.sync_all()
    assert not [q for q in queries.captured_queries if "sso_organizationdomain" in q["sql"]]

    # so does a webhook, and a deleted organization takes its domains with it
    _move_acme(wos, ["acme.test", "acme.dev"])
    event = {
        "id": "event_org_1",
        "event": "organization.updated",
        "data": public(wos.store.organizations["org_ACME"]),
        "created_at": "2030-01-01T00:00:00.000Z",
    }
    assert _post_event(client, event).json() == {"status": "applied"}
    assert [_sso_target(api, f"x@{d}") for d in ("acme.test", "acme.dev", "acme.example")] == [
        "org_ACME",
        "org_ACME",
        "sso_not_available",
    ]
    event = {**event, "id": "event_org_2", "event": "organization.deleted"}
    assert _post_event(client, event).json() == {"status": "applied"}
    assert not Organization.objects.exists() and not OrganizationDomain.objects.exists()
    assert _sso_target(api, "x@acme.test") == "sso_not_available"


def test_finding_the_organization_of_a_work_email_is_one_exact_lookup(api, wos):
    seed_org(wos)
    sync.sync_all()
    with CaptureQueriesContext(connection) as queries:
        assert _sso_target(api, "x@acme.test") == "org_ACME"
    lookup = [q["sql"] for q in queries.captured_queries if "sso_organizationdomain" in q["sql"]]
    assert len(lookup) == 1 and "LIKE" not in lookup[0].upper()


@pytest.mark.django_db(transaction=True)
def test_the_migration_indexes_the_domains_of_organizations_mirrored_before_it():
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    executor = MigrationExecutor(connection)
    executor.migrate([("sso", "0005_event_records_expire")])
    executor.loader.build_graph()
    old = executor.loader.project_state([("sso", "0005_event_records_expire")]).apps.get_model("sso", "Organization")
    old.objects.create(
        workos_id="org_OLD", name="Old", domains=["Old.test", "old.test", "two.test"], last_synced_at=timezone.now()
    )
    old.objects.create(workos_id="org_NONE", name="None", domains=[], last_synced_at=timezone.now())
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert sorted(OrganizationDomain.objects.values_list("organization__workos_id", "domain")) == [
        ("org_OLD", "old.test"),
        ("org_OLD", "two.test"),
    ]


# --- webhooks under attack and out of order ----------------------------------------------------


def test_a_late_update_never_revives_a_deleted_connection(client, wos):
    seed_org(wos)
    sync.sync_all()
    update = _conn_event(wos, "connection.activated", "event_late")
    update["data"]["updated_at"] = "2099-01-01T00:00:00.000Z"  # even one that claims to be newer
    assert _post_event(client, _conn_event(wos, "connection.deleted", "event_del")).json() == {"status": "applied"}
    assert _post_event(client, update).json() == {"status": "stale"}
    assert not Connection.objects.exists()


def test_a_sync_page_fetched_before_a_deletion_does_not_revive_it(client, wos):
    seed_org(wos)
    sync.sync_all()
    deleted = _conn_event(wos, "connection.deleted", "event_del")
    # WorkOS still lists it (the page was read before the deletion reached the list)
    assert _post_event(client, deleted).json() == {"status": "applied"}
    sync.sync_all()
    assert not Connection.objects.filter(workos_id="conn_ACME").exists()


def test_delete_in_workos_leaves_a_tombstone(client, wos):
    from sso.admin import delete_in_workos

    seed_org(wos)
    sync.sync_all()
    late = _conn_event(wos, "connection.activated", "event_late")
    late["data"]["updated_at"] = "2099-01-01T00:00:00.000Z"
    delete_in_workos(list(Connection.objects.all()))
    assert _post_event(client, late).json() == {"status": "stale"}
    assert not Connection.objects.exists()


@pytest.mark.parametrize(
    "updated_at",
    ["2026-01-01T00:00:00", "not a date", 1767225600, None, ["2026-01-01T00:00:00Z"], {"$date": 1}, ""],
)
def test_events_without_an_aware_updated_at_are_refused(client, wos, updated_at):
    seed_org(wos)
    sync.sync_all()
    event = _conn_event(wos, "connection.deactivated")
    event["data"]["state"] = "inactive"
    event["data"]["updated_at"] = updated_at
    response = _post_event(client, event)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_event" and "updated_at" in response.json()["detail"]
    assert Connection.objects.get().state == "active" and WebhookEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "x" * 256),
        ("name", {"nested": 1}),
        ("state", ["active"]),
        ("connection_type", "t" * 65),
        ("organization_id", "o" * 65),
        ("domains", "acme.test"),
        ("domains", [{"domain": "d" * 254}]),
        ("domains", [7]),
        ("id", "conn_\x00"),
        ("id", "c" * 65),
        ("name", "a\x00b"),
    ],
)
def test_event_fields_are_validated_before_anything_is_stored(client, wos, field, value):
    seed_org(wos)
    event = _conn_event(wos, "connection.activated")
    event["data"][field] = value
    response = _post_event(client, event)
    assert response.status_code == 400 and response.json()["code"] == "invalid_event"
    assert not Connection.objects.exists() and WebhookEvent.objects.count() == 0


@pytest.mark.parametrize(
    "header",
    [
        "t=99999999999999999999999999, v1=" + "0" * 64,
        "t=-5, v1=" + "0" * 64,
        "t=١٢٣, v1=" + "0" * 64,
        "t=1, v1=zz",
        "t=1,v1=" + "0" * 64,
    ],
)
def test_absurd_signature_headers_are_malformed_not_500(client, header):
    response = client.post("/webhooks/workos", "{}", content_type="application/json", HTTP_WORKOS_SIGNATURE=header)
    assert response.status_code == 400 and response.json()["code"] == "signature_malformed"


def test_deeply_nested_webhook_body_is_refused_not_500(client):
    body = "[" * 100_000 + "]" * 100_000
    header = EmulatorApp.sign_webhook("whsec_test", body)
    response = client.post("/webhooks/workos", body, content_type="application/json", HTTP_WORKOS_SIGNATURE=header)
    assert response.status_code == 400 and response.json()["code"] == "invalid_body"


def test_sso_is_not_offered_when_no_mirrored_connection_is_active(client, api, wos):
    seed_org(wos)
    sync.sync_all()
    Connection.objects.filter(workos_id="conn_ACME").update(state="inactive")
    page = client.post("/auth/sso", {"email": "sam@acme.test"})
    assert page.status_code == 404 and b"not available for your organization" in page.content
    for params in ({"email": "sam@acme.test"}, {"organization_id": "org_ACME"}, {"connection_id": "conn_ACME"}):
        refused = api.get("/api/auth/sso/authorize", params)
        assert refused.status_code == 404 and refused.json()["code"] == "sso_not_available", params
    Connection.objects.filter(workos_id="conn_ACME").delete()
    assert api.get("/api/auth/sso/authorize", {"organization_id": "org_ACME"}).json()["code"] == "sso_not_available"
    assert (
        api.get("/api/auth/sso/authorize", {"organization_id": "org_UNMIRRORED"}).status_code == 200
    )  # WorkOS decides


def test_my_organization_is_named_from_the_mirror(api, wos):
    seed_org(wos)
    sync.sync_all()
    wos.add_user("sam@acme.test", password="pw-12345678", organizations=["org_ACME"])
    pair = api.post("/api/auth/workos/callback", {"code": wos.code("sam@acme.test")}, format="json").json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access_token']}")
    assert api.get("/api/auth/organization").json() == {"id": "org_ACME", "name": "Acme", "domains": ["acme.test"]}
    api.credentials()
    assert api.get("/api/auth/organization").status_code == 401
