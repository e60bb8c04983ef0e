"""The unified WorkOS callback, JWT pairs, password login, refresh, logout: against the emulator."""

import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.models import AuthSession, Identity, User
from tests.conftest import SLOW_MS, SPA_CALLBACK
from tests.helpers import follow_hosted_sign_in

pytestmark = pytest.mark.django_db


def start(api, **params):
    response = api.get("/api/auth/workos/authorize", {"redirect_uri": SPA_CALLBACK, **params})
    assert response.status_code == 200, response.content
    return response.json()


def callback(api, **body):
    return api.post("/api/auth/workos/callback", body, format="json")


def spa_sign_in(api, wos, email, password, **params):
    started = start(api, **params)
    back = follow_hosted_sign_in(started["authorization_url"], email=email, password=password)
    assert back["state"] == started["state"]
    return callback(api, code=back["code"], state=back["state"], redirect_uri=SPA_CALLBACK)


# --- authorize -------------------------------------------------------------------------------


def test_authorize_builds_an_authkit_url_with_state_and_pkce(api, wos):
    started = start(api, login_hint="a@example.com")
    url = urlsplit(started["authorization_url"])
    query = parse_qs(url.query)
    assert url.path == "/user_management/authorize"
    assert query["state"] == [started["state"]]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["redirect_uri"] == [SPA_CALLBACK]
    assert query["login_hint"] == ["a@example.com"]


def test_authorize_refuses_a_redirect_uri_we_do_not_know(api, wos):
    response = api.get("/api/auth/workos/authorize", {"redirect_uri": "https://evil.example/cb"})
    assert response.status_code == 400
    assert response.json()["code"] == "redirect_uri_not_allowed"


# --- the three cases -------------------------------------------------------------------------


def test_case_provision_known_to_workos_not_here(api, wos):
    wos.add_user("new@example.com", password="pw-new-1234", first_name="Nia", last_name="New")
    response = spa_sign_in(api, wos, "new@example.com", "pw-new-1234")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["created"] is True
    assert body["user"]["email"] == "new@example.com"
    assert body["access_token"] and body["refresh_token"]
    user = User.objects.get(email="new@example.com")
    assert user.workos_user_id.startswith("user_")
    assert (user.first_name, user.last_name) == ("Nia", "New")
    assert not user.has_usable_password()
    assert Identity.objects.filter(user=user, provider="workos", subject=user.workos_user_id).count() == 1


def test_case_login_existing_user_refreshes_name_from_workos(api, wos):
    wos_user = wos.add_user("old@example.com", password="pw-old-1234", first_name="Olga")
    User.objects.create_user("old@example.com", workos_user_id=wos_user["id"], first_name="Stale")
    response = spa_sign_in(api, wos, "old@example.com", "pw-old-1234")
    assert response.status_code == 200
    assert response.json()["created"] is False
    assert User.objects.get(email="old@example.com").first_name == "Olga"
    assert User.objects.count() == 1


def test_case_refuse_unknown_to_workos_exchange_fails(api, wos):
    response = callback(api, code="not-a-code-workos-issued")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_grant"
    assert User.objects.count() == 0


def test_links_existing_local_user_with_same_verified_email(api, wos):
    local = User.objects.create_user("Link@Example.com", "local-password-1")
    wos.add_user("link@example.com", password="pw-link-1234")
    response = spa_sign_in(api, wos, "link@example.com", "pw-link-1234")
    assert response.status_code == 200
    local.refresh_from_db()
    assert local.workos_user_id
    assert User.objects.count() == 1


def test_callback_error_parameter_short_circuits(api, wos):
    response = callback(api, error="access_denied", error_description="The user said no.")
    assert response.status_code == 400
    assert response.json() == {
        "code": "sign_in_cancelled",
        "message": "The sign-in was cancelled or refused at the identity provider.",
        "detail": {"provider_error": "access_denied"},  # a code from OAuth's own vocabulary only
    }
    assert wos.log("/user_management/authenticate") == []


def test_code_or_error_is_required(api, wos):
    response = callback(api)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


# --- codes and state -------------------------------------------------------------------------


def test_code_is_single_use(api, wos):
    wos.add_user("once@example.com")
    code = wos.code("once@example.com")
    assert callback(api, code=code).status_code == 200
    again = callback(api, code=code)
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_grant"


def test_expired_code_is_refused(api, wos):
    wos.add_user("late@example.com")
    code = wos.code("late@example.com")
    wos.advance(601)
    response = callback(api, code=code)
    assert response.json()["code"] == "invalid_grant"


def test_state_replay_is_refused(api, wos):
    wos.add_user("replay@example.com", password="pw-replay-12")
    started = start(api)
    back = follow_hosted_sign_in(started["authorization_url"], email="replay@example.com", password="pw-replay-12")
    assert callback(api, code=back["code"], state=back["state"]).status_code == 200
    second = callback(api, code=back["code"], state=back["state"])
    assert second.status_code == 400
    assert second.json()["code"] == "state_already_used"


def test_a_state_is_read_and_deleted_by_one_statement(api, wos):
    from accounts.errors import InvalidSignInRequest
    from accounts.signin import state as signin_state

    state = start(api)["state"]
    with CaptureQueriesContext(connection) as queries:
        saved = signin_state.consume(state)
    assert (len(queries), saved.flow, saved.redirect_uri) == (1, "authkit", SPA_CALLBACK)
    with pytest.raises(InvalidSignInRequest) as again:
        signin_state.consume(state)
    assert again.value.code == "state_already_used"


def test_forged_state_is_refused_without_calling_workos(api, wos):
    response = callback(api, code="x", state="made-up:1:abc")
    assert response.status_code == 400
    assert response.json()["code"] == "state_invalid"
    assert wos.log("/user_management/authenticate") == []


def test_expired_state_is_refused(api, wos, settings):
    started = start(api)
    settings.GATEHOUSE_SIGNIN_STATE_MAX_AGE = -1
    response = callback(api, code="x", state=started["state"])
    assert response.json()["code"] == "state_expired"


def test_redirect_uri_must_match_the_one_the_flow_started_with(api, wos):
    started = start(api)
    response = callback(api, code="x", state=started["state"], redirect_uri="http://testserver/auth/callback")
    assert response.status_code == 400
    assert response.json()["code"] == "redirect_uri_mismatch"


def test_pkce_verifier_is_sent_so_a_stolen_code_is_useless_without_it(api, wos):
    wos.add_user("pkce@example.com", password="pw-pkce-1234")
    started = start(api)
    back = follow_hosted_sign_in(started["authorization_url"], email="pkce@example.com", password="pw-pkce-1234")
    # Without the state (and so without our server-side verifier) the code does not work.
    stolen = callback(api, code=back["code"])
    assert stolen.status_code == 400
    assert User.objects.count() == 0


# --- SSO codes through the same callback -----------------------------------------------------


def _sso_org(wos):
    return wos.seed(
        organizations=[{"id": "org_ACME", "name": "Acme", "domains": ["acme.test"]}],
        connections=[
            {
                "id": "conn_ACME",
                "name": "Acme Okta",
                "organization": "org_ACME",
                "profiles": [{"email": "sam@acme.test", "first_name": "Sam", "role": "admin"}],
            }
        ],
    )


def test_sso_code_with_state(api, wos):
    _sso_org(wos)
    from accounts.signin import workos

    url, state = workos.authorization_url(flow="sso", redirect_uri=SPA_CALLBACK, organization_id="org_ACME")
    back = follow_hosted_sign_in(url, email="sam@acme.test")
    response = callback(api, code=back["code"], state=back["state"])
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"]["organization_id"] == "org_ACME"
    assert body["user"]["role"] == "admin"
    assert Identity.objects.get(provider="workos_sso").user.email == "sam@acme.test"


def test_sso_code_without_state_falls_back_after_authkit_invalid_grant(api, wos):
    _sso_org(wos)
    code = wos.code("sam@acme.test", kind="sso", connection_id="conn_ACME")
    response = callback(api, code=code)
    assert response.status_code == 200, response.content
    paths = [e["path"] for e in wos.log() if e["path"] in ("/user_management/authenticate", "/sso/token")]
    assert paths == ["/user_management/authenticate", "/sso/token"]


# --- organization hint, policy, step-up errors -----------------------------------------------


def test_organization_hint_for_new_user_must_exist(api, wos):
    wos.seed(
        organizations=[{"id": "org_REAL", "name": "Real", "domains": ["example.com"]}]
    )  # the person's verified domain
    wos.add_user("hint@example.com")
    bad = callback(api, code=wos.code("hint@example.com"), organization_id="org_MISSING")
    assert bad.status_code == 400
    assert bad.json()["code"] == "organization_not_found"
    assert User.objects.count() == 0
    good = callback(api, code=wos.code("hint@example.com"), organization_id="org_REAL")
    assert good.status_code == 200
    assert User.objects.get().organization_id == "org_REAL"


def test_policy_adapter_refuses_provisioning_outside_allowed_domains(api, wos, settings):
    settings.GATEHOUSE_ALLOWED_EMAIL_DOMAINS = ["allowed.test"]
    wos.add_user("out@elsewhere.test")
    response = callback(api, code=wos.code("out@elsewhere.test"))
    assert response.status_code == 403
    assert response.json()["code"] == "provisioning_not_allowed"
    assert User.objects.count() == 0


def _workos_session_statuses(wos, workos_user_id):
    return sorted(s["status"] for s in wos.store.sessions.values() if s["user_id"] == workos_user_id)


def test_inactive_user_is_refused(api, wos):
    wos_user = wos.add_user("gone@example.com")
    User.objects.create_user("gone@example.com", workos_user_id=wos_user["id"], is_active=False)
    response = callback(api, code=wos.code("gone@example.com"))
    assert response.status_code == 403
    assert response.json()["code"] == "user_inactive"
    assert AuthSession.objects.count() == 0
    # WorkOS had signed them in: the session it opened is revoked, not left to AuthKit
    assert _workos_session_statuses(wos, wos_user["id"]) == ["revoked"]


def test_a_sign_in_refused_by_policy_revokes_the_workos_session_it_opened(api, wos, settings):
    settings.GATEHOUSE_ALLOWED_EMAIL_DOMAINS = ["example.org"]
    kept, refused = wos.add_user("kept@example.org"), wos.add_user("refused@example.com")
    assert callback(api, code=wos.code("kept@example.org")).status_code == 200
    response = callback(api, code=wos.code("refused@example.com"))
    assert response.status_code == 403, response.content
    assert _workos_session_statuses(wos, kept["id"]) == ["active"]
    assert _workos_session_statuses(wos, refused["id"]) == ["revoked"]
    assert not User.objects.filter(email="refused@example.com").exists()


@pytest.mark.parametrize(
    "fields, code",
    [
        ({"email_verified": False}, "email_verification_required"),
        ({"mfa": True}, "mfa_enrollment"),
        ({"mfa": True, "totp_secret": "JBSWY3DPEHPK3PXP"}, "mfa_challenge"),
    ],
)
def test_authkit_step_up_errors_pass_through(api, wos, fields, code):
    wos.add_user("step@example.com", **fields)
    response = callback(api, code=wos.code("step@example.com"))
    assert response.status_code == 403
    assert response.json()["code"] == code


# --- WorkOS faults ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault, status, code",
    [
        ({"status": 500}, 503, "workos_unavailable"),
        ({"status": 503}, 503, "workos_unavailable"),
        ({"status": 429, "headers": {"Retry-After": "7"}}, 429, "workos_rate_limited"),
        ({"status": 200, "raw": "<html>oops</html>"}, 502, "workos_bad_response"),
        ({"status": 200, "latency_ms": SLOW_MS, "passthrough": True}, 502, "workos_unreachable"),
    ],
)
def test_workos_faults_on_code_exchange_are_clear_and_write_nothing(api, wos, fault, status, code):
    wos.add_user("fault@example.com")
    wos.inject("/user_management/authenticate", **fault)
    response = callback(api, code=wos.code("fault@example.com"))
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    if status == 429:
        assert response["Retry-After"] == "7"
    assert User.objects.count() == 0 and AuthSession.objects.count() == 0
    # exactly one attempt: a code exchange is never retried
    assert len(wos.log("/user_management/authenticate", settle=fault.get("latency_ms", 0) / 1000)) == 1


class _SessionRefused(Exception):
    pass


def _refuse(sender, **kwargs):
    raise _SessionRefused


@pytest.mark.parametrize("known", [False, True], ids=["new-user", "known-user"])
def test_a_sign_in_whose_session_cannot_start_writes_nothing(wos, known):
    """The account found, linked or created and the session it starts are one transaction: when
    starting the session fails, no account, identity, stamp or audit event is left behind."""
    from django.contrib.auth.signals import user_logged_in

    from accounts.models import AuditEvent
    from accounts.signin import flow, workos

    wos_user = wos.add_user("half@example.com", first_name="Hal")
    if known:
        User.objects.create_user("half@example.com", workos_user_id=wos_user["id"], first_name="Stale")
    before = list(User.objects.values_list("pk", "first_name", "last_login"))
    user_logged_in.connect(_refuse)  # a receiver that refuses, as django-axes may: the session cannot start
    try:
        with pytest.raises(_SessionRefused):
            flow.complete(None, workos.exchange_code(code=wos.code("half@example.com")), flow.Channel.API)
    finally:
        user_logged_in.disconnect(_refuse)
    assert list(User.objects.values_list("pk", "first_name", "last_login")) == before
    assert Identity.objects.count() == 0 and AuthSession.objects.count() == 0 and AuditEvent.objects.count() == 0


def _claims(token):
    return jwt.decode(token, options={"verify_signature": False})


def test_the_callback_returns_the_session_its_transaction_started(api, wos):
    wos.add_user("one@example.com")
    body = callback(api, code=wos.code("one@example.com")).json()
    session = AuthSession.objects.get()
    assert body["user"]["email"] == "one@example.com"
    assert _claims(body["access_token"])["sess"] == _claims(body["refresh_token"])["sess"] == session.id


# --- tokens ----------------------------------------------------------------------------------


def _signed_in(api, wos, email="tok@example.com"):
    wos.add_user(email)
    response = callback(api, code=wos.code(email))
    assert response.status_code == 200, response.content
    return response.json()


def test_me_with_access_token_needs_no_database_query(api, wos):
    body = _signed_in(api, wos)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/auth/me")
    assert response.status_code == 200
    assert response.json()["email"] == "tok@example.com"
    assert len(queries) == 0


@pytest.mark.parametrize("header", ["Bearer not.a.jwt", "Token abc", "Bearer"])
def test_bad_access_tokens_are_401(api, header):
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_refresh_token_is_not_an_access_token(api, wos):
    body = _signed_in(api, wos)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['refresh_token']}")
    assert api.get("/api/auth/me").status_code == 401


def test_refresh_rotates_and_blacklists(api, wos):
    body = _signed_in(api, wos)
    first = api.post("/api/token/refresh/", {"refresh": body["refresh_token"]}, format="json")
    assert first.status_code == 200, first.content
    rotated = first.json()
    assert rotated["refresh"] != body["refresh_token"]
    assert BlacklistedToken.objects.count() == 1
    # the answer was lost, say: a retry inside the grace window gets a working pair of its own
    again = api.post("/api/token/refresh/", {"refresh": body["refresh_token"]}, format="json")
    assert again.status_code == 200, again.content
    assert api.post("/api/token/refresh/", {"refresh": again.json()["refresh"]}, format="json").status_code == 200
    assert api.post("/api/token/refresh/", {"refresh": rotated["refresh"]}, format="json").status_code == 200
    # after it, reuse is a replay: the whole sign-in ends
    with time_machine.travel(timezone.now() + timedelta(seconds=11)):
        late = api.post("/api/token/refresh/", {"refresh": body["refresh_token"]}, format="json")
    assert late.status_code == 401 and late.json()["code"] == "refresh_token_reused"
    assert AuthSession.objects.get().revoked_at is not None


def test_refresh_reuse_after_grace_revokes_the_session(api, wos):
    body = _signed_in(api, wos)
    rotated = api.post("/api/token/refresh/", {"refresh": body["refresh_token"]}, format="json").json()
    BlacklistedToken.objects.update(blacklisted_at=timezone.now() - timedelta(minutes=5))
    stolen = api.post("/api/token/refresh/", {"refresh": body["refresh_token"]}, format="json")
    assert stolen.json()["code"] == "refresh_token_reused"
    assert AuthSession.objects.get().revoked_reason == "refresh_reuse"
    after = api.post("/api/token/refresh/", {"refresh": rotated["refresh"]}, format="json")
    assert after.status_code == 401
    assert after.json()["code"] == "session_revoked"


def test_refresh_follows_the_workos_session(api, wos):
    body = _signed_in(api, wos)
    sid = AuthSession.objects.get().workos_session_id
    assert sid.startswith("session_")
    rotated = api.post("/api/token/refresh/", {"refresh": body["refresh_token"]}, format="json")
    assert rotated.status_code == 200
    assert len(wos.log("/user_management/authenticate")) == 2  # code exchange, then refresh
    wos.store.sessions[sid]["status"] = "revoked"  # ended at WorkOS (admin, other device...)
    latest = AuthSession.objects.get()
    newest = rotated.json()["refresh"]
    response = api.post("/api/token/refresh/", {"refresh": newest}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "session_revoked"
    latest.refresh_from_db()
    assert latest.revoked_reason == "workos_session_ended"


def test_refresh_during_workos_outage_keeps_the_token_usable(api, wos):
    body = _signed_in(api, wos)
    wos.inject("/user_management/authenticate", status=503)
    failed = api.post("/api/token/refresh/", {"refresh": body["refresh_token"]}, format="json")
    assert failed.status_code == 503
    assert failed.json()["code"] == "workos_unavailable"
    assert BlacklistedToken.objects.count() == 0
    assert api.post("/api/token/refresh/", {"refresh": body["refresh_token"]}, format="json").status_code == 200


def test_refresh_of_deleted_user_is_401_not_500(api, wos):
    body = _signed_in(api, wos)
    User.objects.all().delete()
    response = api.post("/api/token/refresh/", {"refresh": body["refresh_token"]}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "session_not_found"


def test_verify_endpoint(api, wos):
    body = _signed_in(api, wos)
    ok = api.post("/api/token/verify/", {"token": body["access_token"]}, format="json")
    assert ok.status_code == 200 and ok.json()["token_type"] == "access"
    tampered = body["access_token"][:-4] + ("AAAA" if not body["access_token"].endswith("AAAA") else "BBBB")
    assert api.post("/api/token/verify/", {"token": tampered}, format="json").json()["code"] == "token_invalid"


# --- logout ----------------------------------------------------------------------------------


def test_logout_returns_workos_logout_url_and_ends_everything(api, wos):
    body = _signed_in(api, wos)
    sid = AuthSession.objects.get().workos_session_id
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    response = api.post("/api/auth/logout/")
    assert response.status_code == 200
    out = response.json()
    assert out["message"] == "Successfully logged out"
    assert out["redirect_to"] == "/auth/login"
    logout = urlsplit(out["workos_logout_url"])
    assert logout.path == "/user_management/sessions/logout"
    assert parse_qs(logout.query)["session_id"] == [sid]
    assert wos.store.sessions[sid]["status"] == "revoked"
    refreshed = api.post("/api/token/refresh/", {"refresh": body["refresh_token"]}, format="json")
    assert refreshed.json()["code"] == "session_revoked"


def test_logout_of_password_session_has_no_workos_url(api):
    User.objects.create_user("pw@example.com", "a-good-password-1")
    pair = api.post("/api/token/", {"email": "pw@example.com", "password": "a-good-password-1"}, format="json").json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    response = api.post("/api/auth/logout/")
    assert response.json()["workos_logout_url"] is None


def test_logout_requires_authentication(api):
    assert api.post("/api/auth/logout/").status_code == 401


# --- password --------------------------------------------------------------------------------


def test_password_login_right_wrong_unknown(api):
    User.objects.create_user("pw@example.com", "a-good-password-1")
    ok = api.post("/api/token/", {"email": "PW@example.com", "password": "a-good-password-1"}, format="json")
    assert ok.status_code == 200 and set(ok.json()) == {"access", "refresh", "session_config"}
    wrong = api.post("/api/token/", {"email": "pw@example.com", "password": "nope"}, format="json")
    unknown = api.post("/api/token/", {"email": "who@example.com", "password": "nope"}, format="json")
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json() == unknown.json() == {"code": "invalid_credentials", "message": "Email or password is incorrect."}
    )


def test_user_without_usable_password_is_refused_like_a_wrong_password(api):
    User.objects.create_user("nopw@example.com")
    response = api.post("/api/token/", {"email": "nopw@example.com", "password": ""}, format="json")
    assert response.status_code in (400, 401)
    response = api.post("/api/token/", {"email": "nopw@example.com", "password": "anything"}, format="json")
    assert response.json()["code"] == "invalid_credentials"


def test_password_login_throttled_per_account(api, settings):
    settings.GATEHOUSE_RATE_LIMITS = {
        **settings.GATEHOUSE_RATE_LIMITS,
        "password_ip": "100/d",
        "password_account": "3/d",
    }
    for _ in range(3):
        assert api.post("/api/token/", {"email": "t@example.com", "password": "x"}, format="json").status_code == 401
    blocked = api.post("/api/token/", {"email": "T@example.com", "password": "x"}, format="json")
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "throttled"
    assert int(blocked["Retry-After"]) > 0
    other = api.post("/api/token/", {"email": "other@example.com", "password": "x"}, format="json")
    assert other.status_code == 401


# --- cookie mode -----------------------------------------------------------------------------


def test_cookie_mode_sets_httponly_cookies_and_enforces_csrf(wos, settings):
    from rest_framework.test import APIClient

    settings.GATEHOUSE_TOKEN_COOKIES = True
    client = APIClient(enforce_csrf_checks=True)
    wos.add_user("cookie@example.com")
    response = client.post("/api/auth/workos/callback", {"code": wos.code("cookie@example.com")}, format="json")
    assert response.status_code == 200
    assert "access_token" not in response.json()
    assert response.cookies["gatehouse_access"]["httponly"]
    assert client.get("/api/auth/me").json()["email"] == "cookie@example.com"
    refused = client.post("/api/token/refresh/", {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    client.get("/auth/login")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    ok = client.post("/api/token/refresh/", {}, format="json", HTTP_X_CSRFTOKEN=token)
    assert ok.status_code == 200, ok.content
    logout = client.post("/api/auth/logout/", HTTP_X_CSRFTOKEN=token)
    assert logout.status_code == 200
    assert logout.cookies["gatehouse_access"].value == ""


# --- races -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_sign_ins_leave_one_user(wos):
    from rest_framework.test import APIClient

    wos.add_user("race@example.com")
    codes = [wos.code("race@example.com") for _ in range(50)]
    results = []
    barrier = threading.Barrier(len(codes))

    def sign_in(code):
        barrier.wait()
        try:
            response = APIClient().post("/api/auth/workos/callback", {"code": code}, format="json")
            results.append((response.status_code, response.json().get("created")))
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_in, args=(c,)) for c in codes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [status for status, _ in results] == [200] * len(codes)
    assert sum(1 for _, created in results if created) == 1
    assert User.objects.count() == 1
    assert Identity.objects.count() == 1


def test_an_access_token_seen_before_still_expires(api, wos, settings):
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "ACCESS_TOKEN_LIFETIME": timedelta(seconds=1), "LEEWAY": 0}
    body = _signed_in(api, wos)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert api.get("/api/auth/me").status_code == 200  # verified and remembered
    with time_machine.travel(time.time() + 2):  # past the 1 s lifetime (exp is whole seconds, rounded down)
        expired = api.get("/api/auth/me")
    assert expired.status_code == 401
    assert expired.json()["code"] == "token_invalid"


def test_a_refused_known_person_is_named_in_the_audit(api, wos):
    from accounts.models import AuditEvent

    wos_user = wos.add_user("gone2@example.com")
    User.objects.create_user("gone2@example.com", workos_user_id=wos_user["id"], is_active=False)
    refused = callback(api, code=wos.code("gone2@example.com"))
    assert refused.status_code == 403 and refused.json()["code"] == "user_inactive"
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SIGN_IN_FAILED)
    assert event.email == "gone2@example.com" and event.user.email == "gone2@example.com"
