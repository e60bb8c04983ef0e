"""Every WorkOS call the app makes, under every fault the emulator can inject: a clear error with
a stable code, nothing half-written, and the next call works."""

import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import transaction
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.errors import GatehouseError
from accounts.models import AuthSession, Identity, User
from accounts.sessions import end_sessions
from accounts.signin import workos
from sso import sync
from sso.admin import delete_in_workos
from sso.models import Connection, Organization
from standalone_connect.models import ConnectAttempt
from tests.conftest import SLOW_MS, SPA_CALLBACK
from tests.helpers import follow_hosted_sign_in

pytestmark = pytest.mark.django_db

FAULTS = {
    "429": (
        {"status": 429, "headers": {"Retry-After": "7"}, "body": {"message": "Too many requests"}},
        429,
        "workos_rate_limited",
    ),
    "500": ({"status": 500}, 503, "workos_unavailable"),
    "503": ({"status": 503}, 503, "workos_unavailable"),
    "timeout": ({"status": 200, "latency_ms": SLOW_MS, "passthrough": True}, 502, "workos_unreachable"),
    "malformed": ({"status": 200, "raw": '{"half": '}, 502, "workos_bad_response"),
}


@pytest.fixture(params=list(FAULTS))
def fault(request):
    rule, status, code = FAULTS[request.param]
    return rule, status, code


def test_code_exchange(api, wos, fault):
    rule, status, code = fault
    wos.add_user("x@example.com")
    wos.inject("/user_management/authenticate", **rule)
    response = api.post("/api/auth/workos/callback", {"code": wos.code("x@example.com")}, format="json")
    assert (response.status_code, response.json()["code"]) == (status, code)
    if status == 429:
        assert response["Retry-After"] == "7"
    assert User.objects.count() == Identity.objects.count() == AuthSession.objects.count() == 0
    assert api.post("/api/auth/workos/callback", {"code": wos.code("x@example.com")}, format="json").status_code == 200


def test_sso_token(api, wos, fault):
    rule, status, code = fault
    wos.seed(
        organizations=[{"id": "org_F", "name": "F", "domains": ["f.test"]}],
        connections=[{"id": "conn_F", "name": "F", "organization": "org_F", "profiles": [{"email": "s@f.test"}]}],
    )

    def attempt():
        url, state = workos.authorization_url(flow="sso", redirect_uri=SPA_CALLBACK, connection_id="conn_F")
        back = follow_hosted_sign_in(url, email="s@f.test")
        return api.post("/api/auth/workos/callback", {"code": back["code"], "state": back["state"]}, format="json")

    wos.inject("/sso/token", **rule)
    response = attempt()
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert User.objects.count() == AuthSession.objects.count() == 0
    assert attempt().status_code == 200


def test_refresh(api, wos, fault):
    rule, status, code = fault
    wos.add_user("r@example.com")
    pair = api.post("/api/auth/workos/callback", {"code": wos.code("r@example.com")}, format="json").json()
    wos.inject("/user_management/authenticate", **rule)
    response = api.post("/api/token/refresh/", {"refresh": pair["refresh_token"]}, format="json")
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert BlacklistedToken.objects.count() == 0
    assert AuthSession.objects.get().revoked_at is None
    assert api.post("/api/token/refresh/", {"refresh": pair["refresh_token"]}, format="json").status_code == 200


def test_logout_revoke_is_best_effort(api, wos, fault):
    rule, _status, _code = fault
    wos.add_user("l@example.com")
    pair = api.post("/api/auth/workos/callback", {"code": wos.code("l@example.com")}, format="json").json()
    wos.inject("/user_management/sessions/revoke", **rule)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access_token']}")
    response = api.post("/api/auth/logout/")
    # Our side always ends; the browser still goes through the WorkOS logout URL, which ends
    # the WorkOS session even though the server-side revoke failed.
    assert response.status_code == 200
    assert response.json()["workos_logout_url"]
    assert AuthSession.objects.get().revoked_reason == "logout"


def test_connections_list(wos, fault):
    rule, status, code = fault
    wos.seed(
        organizations=[{"id": "org_L", "name": "L"}],
        connections=[{"id": "conn_L", "name": "L", "organization": "org_L"}],
    )
    sync.sync_all()
    wos.inject("/connections", **rule)
    with pytest.raises(GatehouseError) as failed:
        sync.sync_all()
    assert (failed.value.status, failed.value.code) == (status, code)
    assert Connection.objects.count() == 1
    assert sync.sync_all().connections.unchanged == 1


def test_connection_delete(wos, fault):
    rule, _status, code = fault
    if "raw" in rule:
        rule = dict(rule, raw="<html>proxy page</html>")
    wos.seed(
        organizations=[{"id": "org_D", "name": "D"}],
        connections=[{"id": "conn_D", "name": "D", "organization": "org_D"}],
    )
    sync.sync_all()
    wos.inject("/connections/conn_D", method="DELETE", **rule)
    deleted, failures = delete_in_workos(list(Connection.objects.all()))
    assert deleted == [] and [exc.code for _, exc in failures] == [code]
    assert Connection.objects.count() == 1
    deleted, failures = delete_in_workos(list(Connection.objects.all()))
    assert len(deleted) == 1 and failures == [] and Connection.objects.count() == 0


def test_connect_complete(client, wos, fault, settings):
    rule, status, code = fault
    wos.seed(
        oauth_applications=[
            {"client_id": "client_c", "client_secret": "s", "redirect_uris": ["http://127.0.0.1:9/cb"]}
        ],
        settings={"connect_login_uri": "http://testserver/connect/login"},
    )
    client.force_login(User.objects.create_user("c@example.com"))

    def external_auth_id():
        start = requests.get(
            f"{wos.url}/oauth2/authorize",
            params={"client_id": "client_c", "redirect_uri": "http://127.0.0.1:9/cb"},
            allow_redirects=False,
            timeout=5,
        )
        return parse_qs(urlsplit(start.headers["Location"]).query)["external_auth_id"][0]

    wos.inject("/authkit/oauth2/complete", **rule)
    # an already signed-in browser confirms with a POST
    response = client.post("/connect/login", {"external_auth_id": external_auth_id()})
    assert response.context["code"] == code
    assert ConnectAttempt.objects.get().error_code == code
    assert client.post("/connect/login", {"external_auth_id": external_auth_id()}).status_code == 302


# --- an answer lost after WorkOS did the work ------------------------------------------------

LOST_ANSWERS = {
    "500 after rotating": {"status": 500, "after": True},
    "timeout after rotating": {"status": 200, "latency_ms": SLOW_MS, "passthrough": True, "after": True},
}


@pytest.mark.parametrize("rule", list(LOST_ANSWERS.values()), ids=list(LOST_ANSWERS))
def test_refresh_survives_a_rotation_whose_answer_was_lost(api, wos, rule):
    wos.add_user("lost@example.com")
    pair = api.post("/api/auth/workos/callback", {"code": wos.code("lost@example.com")}, format="json").json()
    wos.inject("/user_management/authenticate", **rule)
    failed = api.post("/api/token/refresh/", {"refresh": pair["refresh_token"]}, format="json")
    assert failed.status_code in (502, 503)
    # WorkOS rotated its refresh token, we never saw the new one: the retry still works
    retry = api.post("/api/token/refresh/", {"refresh": pair["refresh_token"]}, format="json")
    assert retry.status_code == 200, retry.content
    session = AuthSession.objects.get()
    assert session.revoked_at is None
    again = api.post("/api/token/refresh/", {"refresh": retry.json()["refresh"]}, format="json")
    assert again.status_code == 200
    # and a WorkOS sign-out still ends it here
    requests.post(
        f"{wos.url}/user_management/sessions/revoke",
        json={"session_id": session.workos_session_id},
        headers={"Authorization": "Bearer sk_test_emulator"},
        timeout=5,
    )
    ended = api.post("/api/token/refresh/", {"refresh": again.json()["refresh"]}, format="json")
    assert (ended.status_code, ended.json()["code"]) == (401, "session_revoked")


def test_refresh_after_a_real_sign_out_elsewhere_still_ends_the_session(api, wos):
    wos.add_user("gone@example.com")
    pair = api.post("/api/auth/workos/callback", {"code": wos.code("gone@example.com")}, format="json").json()
    sid = AuthSession.objects.get().workos_session_id
    requests.post(
        f"{wos.url}/user_management/sessions/revoke",
        json={"session_id": sid},
        headers={"Authorization": "Bearer sk_test_emulator"},
        timeout=5,
    )
    ended = api.post("/api/token/refresh/", {"refresh": pair["refresh_token"]}, format="json")
    assert (ended.status_code, ended.json()["code"]) == (401, "session_revoked")
    assert AuthSession.objects.get().revoked_reason == "workos_session_ended"


# --- list answers that are JSON but not lists ------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [{}, None, {"data": None}, {"data": [], "object": "list"}, {"object": "list", "data": {}, "list_metadata": {}}, []],
    ids=repr,
)
@pytest.mark.parametrize("path", ["/connections", "/organizations"])
def test_a_list_answer_that_is_not_a_list_removes_nothing(wos, path, body):
    wos.seed(
        organizations=[{"id": "org_E", "name": "E"}],
        connections=[{"id": "conn_E", "name": "E", "organization": "org_E"}],
    )
    sync.sync_all()
    wos.inject(path, method="GET", status=200, raw=json.dumps(body))
    with pytest.raises(GatehouseError) as failed:
        sync.sync_all()
    assert failed.value.code == "workos_bad_response"
    assert "could not list" in failed.value.message
    assert Connection.objects.count() == 1
    assert Organization.objects.count() == 1


def test_sync_now_in_the_admin_says_why_it_removed_nothing(client, wos):
    wos.seed(
        organizations=[{"id": "org_E", "name": "E"}],
        connections=[{"id": "conn_E", "name": "E", "organization": "org_E"}],
    )
    sync.sync_all()
    client.force_login(User.objects.create_superuser("boss@example.com", "boss-password-123"))
    wos.inject("/connections", method="GET", status=200, raw="{}")
    response = client.post("/admin/sso/connection/sync/", follow=True)
    text = response.content.decode()
    assert "could not list connections" in text
    assert Connection.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_sign_in_ended_while_its_refresh_waits_on_workos_stays_ended(wos):
    """No row lock is held while WorkOS answers a refresh: the sign-in can end meanwhile (here
    an admin's end, written at once), and the refresh's answer is then not written over it."""
    wos.add_user("w@example.com")
    pair = APIClient().post("/api/auth/workos/callback", {"code": wos.code("w@example.com")}, format="json").json()
    wos.slow("/user_management/authenticate", ms=600)
    answers = []
    waiting = threading.Thread(
        target=lambda: answers.append(
            APIClient().post("/api/token/refresh/", {"refresh": pair["refresh_token"]}, format="json")
        )
    )
    waiting.start()
    time.sleep(0.2)  # the refresh is now waiting on WorkOS
    assert end_sessions(AuthSession.objects.all(), reason="admin") == 1
    waiting.join()
    assert (answers[0].status_code, answers[0].json()["code"]) == (401, "session_revoked")
    session = AuthSession.objects.get()
    assert session.revoked_reason == "admin" and session.workos_refresh_token == ""


@pytest.mark.django_db(transaction=True)
def test_no_workos_call_runs_inside_a_database_transaction(wos, settings):
    settings.DEBUG = True
    with pytest.raises(RuntimeError, match="inside a database transaction"), transaction.atomic():
        workos.organization_verified_domains("org_ANY")
    settings.DEBUG = False  # in production: logged, and the call goes on
    with transaction.atomic():
        assert workos.organization_verified_domains("org_ANY") == set()
