"""Login rules, admin sign-in, sessions, password change, and the audit trail."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from accounts import audit
from accounts.models import AuditEvent, AuthSession, LoginRule, User

pytestmark = pytest.mark.django_db


def rule(**fields):
    obj = LoginRule(**fields)
    obj.full_clean()
    obj.save()
    return obj


def kinds():
    return list(AuditEvent.objects.order_by("created_at", "id").values_list("kind", flat=True))


# --- rules: model validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"pattern": "acme.test", "method": "sso"}, "organization_id"),
        ({"pattern": "acme.test", "method": "password", "organization_id": "org_1"}, "method"),
        (
            {"pattern": "acme.test", "method": "sso", "organization_id": "org_1", "connection_id": "conn_1"},
            "connection_id",
        ),
        ({"pattern": "a b", "method": "password"}, "pattern"),
        ({"pattern": "acme.test", "method": "google", "allow_signup": True}, "allow_signup"),
    ],
)
def test_rule_cross_field_validation(fields, field):
    with pytest.raises(ValidationError) as invalid:
        LoginRule(**fields).full_clean()
    assert field in invalid.value.message_dict


def test_rules_match_by_priority_and_wildcards():
    from accounts import login_rules as policy

    rule(pattern="*", method="password", priority=100)
    sso = rule(pattern="*.acme.test", method="sso", organization_id="org_A", priority=10)
    exact = rule(pattern="acme.test", method="authkit", priority=20)
    assert policy.rule_for("a@eu.acme.test") == sso
    assert policy.rule_for("a@ACME.test") == exact
    assert policy.rule_for("a@other.test").pattern == "*"


# --- rules: the sign-in page (home-realm discovery) ------------------------------------------


def test_no_rule_asks_for_a_password(client):
    response = client.post("/auth/login", {"email": "x@free.test"})
    assert response.status_code == 200 and response.context["step"] == "password"


def test_sso_rule_routes_to_the_organization(client, wos):
    rule(pattern="acme.test", method="sso", organization_id="org_ACME")
    response = client.post("/auth/login", {"email": "pat@acme.test", "next": "/account/sessions"})
    assert (
        response.status_code == 302
        and "flow=sso" in response["Location"]
        and "organization_id=org_ACME" in response["Location"]
    )
    start = client.get(response["Location"])
    assert "organization=org_ACME" in start["Location"] and "login_hint=pat%40acme.test" in start["Location"]


def test_authkit_rule_routes_to_authkit(client, wos):
    rule(pattern="ak.test", method="authkit")
    response = client.post("/auth/login", {"email": "a@ak.test"})
    start = client.get(response["Location"])
    assert (
        start["Location"].startswith(f"{wos.url}/user_management/authorize")
        and "login_hint=a%40ak.test" in start["Location"]
    )


def test_google_rule_explains_where_to_sign_in(client):
    rule(pattern="g.test", method="google")
    response = client.post("/auth/login", {"email": "a@g.test"})
    assert response.context["step"] == "elsewhere" and b"Google" in response.content


def test_routing_does_not_reveal_whether_an_account_exists(client):
    rule(pattern="acme.test", method="sso", organization_id="org_ACME")
    User.objects.create_user("known@acme.test", "pw-known-1234")
    known = client.post("/auth/login", {"email": "known@acme.test"})
    unknown = client.post("/auth/login", {"email": "unknown@acme.test"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"].replace("known", "X") == unknown["Location"].replace("unknown", "X")


def test_password_refused_where_rule_requires_sso(client, api):
    rule(pattern="acme.test", method="sso", organization_id="org_ACME")
    User.objects.create_user("pat@acme.test", "pw-pat-12345")
    page = client.post("/auth/login", {"email": "pat@acme.test", "password": "pw-pat-12345"})
    assert page.status_code == 403 and not page.wsgi_request.user.is_authenticated
    for email in ("pat@acme.test", "nobody@acme.test"):  # same answer with or without an account
        response = api.post("/api/token/", {"email": email, "password": "pw-pat-12345"}, format="json")
        assert response.status_code == 403
        assert response.json()["code"] == "method_not_allowed"


def test_admin_login_goes_through_the_rules(client):
    rule(pattern="corp.test", method="sso", organization_id="org_CORP")
    User.objects.create_superuser("boss@corp.test", "boss-password-1")
    redirect = client.get("/admin/login/?next=/admin/")
    assert redirect.status_code == 302 and redirect["Location"].startswith("/auth/login?next=%2Fadmin%2F")
    bypass = client.post("/admin/login/", {"username": "boss@corp.test", "password": "boss-password-1"})
    assert bypass.status_code == 302 and bypass["Location"].startswith("/auth/login")
    assert client.get("/admin/").status_code == 302  # still signed out
    refused = client.post("/auth/login", {"email": "boss@corp.test", "password": "boss-password-1", "next": "/admin/"})
    assert refused.status_code == 403
    assert client.get("/admin/").status_code == 302


# --- rules: the callback and Google/Okta obey them -------------------------------------------


def test_callback_refuses_a_method_the_rule_forbids(api, wos):
    rule(pattern="acme.test", method="sso", organization_id="org_ACME")
    wos.add_user("pat@acme.test")
    response = api.post("/api/auth/workos/callback", {"code": wos.code("pat@acme.test")}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "method_not_allowed"
    assert User.objects.count() == 0
    assert kinds() == ["sign_in_failed"]
    assert AuditEvent.objects.get().reason == "method_not_allowed"


def test_callback_signup_follows_the_rule(api, wos):
    rule(pattern="closed.test", method="authkit", allow_signup=False)
    rule(pattern="open.test", method="authkit", allow_signup=True)
    wos.add_user("a@closed.test")
    wos.add_user("b@open.test")
    closed = api.post("/api/auth/workos/callback", {"code": wos.code("a@closed.test")}, format="json")
    assert closed.status_code == 403 and closed.json()["code"] == "signup_not_allowed"
    User.objects.create_user("a@closed.test")  # invited: now the same sign-in links and works
    assert api.post("/api/auth/workos/callback", {"code": wos.code("a@closed.test")}, format="json").status_code == 200
    assert (
        api.post("/api/auth/workos/callback", {"code": wos.code("b@open.test")}, format="json").json()["created"]
        is True
    )


def test_sso_rule_with_the_wrong_organization(api, wos):
    rule(pattern="acme.test", method="sso", organization_id="org_ACME", allow_signup=True)
    wos.seed(
        organizations=[{"id": "org_EVIL", "name": "Evil"}],
        connections=[
            {"id": "conn_EVIL", "name": "Evil", "organization": "org_EVIL", "profiles": [{"email": "pat@acme.test"}]}
        ],
    )
    code = wos.code("pat@acme.test", kind="sso", connection_id="conn_EVIL")
    response = api.post("/api/auth/workos/callback", {"code": code}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "organization_not_allowed"


# --- sessions --------------------------------------------------------------------------------


def _two_sign_ins(api, wos):
    wos.add_user("s@example.com")
    first = api.post("/api/auth/workos/callback", {"code": wos.code("s@example.com")}, format="json").json()
    second = api.post("/api/auth/workos/callback", {"code": wos.code("s@example.com")}, format="json").json()
    return first, second


def test_session_listing_and_ending_one(api, wos):
    first, second = _two_sign_ins(api, wos)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {first['access_token']}", HTTP_USER_AGENT="TestBrowser/1")
    listed = api.get("/api/auth/sessions/").json()
    assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
    other = next(s for s in listed if not s["current"])
    assert {"method", "user_agent", "ip_address", "created_at", "last_refreshed_at"} <= set(other)
    assert api.delete(f"/api/auth/sessions/{other['id']}/").json() == {"revoked": 1}
    assert api.delete(f"/api/auth/sessions/{other['id']}/").status_code == 404
    assert [s["id"] for s in api.get("/api/auth/sessions/").json()] != [other["id"]]
    gone = api.post("/api/token/refresh/", {"refresh": second["refresh_token"]}, format="json")
    assert gone.json()["code"] == "session_revoked"
    assert api.post("/api/token/refresh/", {"refresh": first["refresh_token"]}, format="json").status_code == 200


def test_sign_out_everywhere_ends_ours_and_workos(api, wos):
    first, _second = _two_sign_ins(api, wos)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {first['access_token']}")
    assert api.post("/api/auth/sessions/revoke-all/", {}, format="json").json() == {"revoked": 2}
    assert AuthSession.objects.filter(revoked_at__isnull=True).count() == 0
    assert {s["status"] for s in wos.store.sessions.values()} == {"revoked"}
    assert "sessions_revoked" in kinds()


def test_someone_elses_session_cannot_be_ended(api, wos):
    first, _ = _two_sign_ins(api, wos)
    wos.add_user("intruder@example.com")
    intruder = api.post("/api/auth/workos/callback", {"code": wos.code("intruder@example.com")}, format="json").json()
    victim_session = AuthSession.objects.filter(user__email="s@example.com").first()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {intruder['access_token']}")
    assert api.delete(f"/api/auth/sessions/{victim_session.id}/").status_code == 404
    assert AuthSession.objects.get(pk=victim_session.pk).revoked_at is None


def test_staff_can_end_a_users_sign_ins_from_the_admin(client, api, wos):
    _two_sign_ins(api, wos)
    client.force_login(User.objects.create_superuser("root@example.com", "root-password-1"))
    target = User.objects.get(email="s@example.com")
    response = client.post(
        "/admin/accounts/user/", {"action": "end_all_sign_ins", "_selected_action": [target.pk]}, follow=True
    )
    assert b"Ended 2 sign-ins" in response.content
    assert not AuthSession.objects.filter(user=target, revoked_at__isnull=True).exists()


def test_sessions_page_lists_and_ends(client, api, wos):
    _two_sign_ins(api, wos)
    user = User.objects.get(email="s@example.com")
    client.force_login(user)
    page = client.get("/account/sessions")
    assert len(page.context["sessions"]) == 2
    one = page.context["sessions"][0]
    client.post("/account/sessions", {"session": one.id})
    assert len(client.get("/account/sessions").context["sessions"]) == 1
    client.post("/account/sessions", {"session": "all"})
    assert not AuthSession.objects.filter(revoked_at__isnull=True).exists()
    assert client.get("/account/sessions").status_code == 302  # this browser was signed out too


def test_password_change_ends_all_sessions(api):
    user = User.objects.create_user("pw@example.com", "old-password-123")
    pair = api.post("/api/token/", {"email": "pw@example.com", "password": "old-password-123"}, format="json").json()
    user.set_password("new-password-456")
    user.save()
    assert AuthSession.objects.get().revoked_reason == "password_changed"
    assert (
        api.post("/api/token/refresh/", {"refresh": pair["refresh"]}, format="json").json()["code"] == "session_revoked"
    )


def test_deactivation_ends_all_sessions(api, client):
    user = User.objects.create_user("off@example.com", "off-password-123")
    pair = api.post("/api/token/", {"email": "off@example.com", "password": "off-password-123"}, format="json").json()
    client.post("/auth/login", {"email": "off@example.com", "password": "off-password-123"})
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert set(AuthSession.objects.values_list("revoked_reason", flat=True)) == {"user_deactivated"}
    assert (
        api.post("/api/token/refresh/", {"refresh": pair["refresh"]}, format="json").json()["code"] == "session_revoked"
    )
    user.first_name = "Still off"
    user.save(update_fields=["first_name"])  # other saves of an inactive user change nothing
    assert AuthSession.objects.filter(revoked_reason="user_deactivated").count() == 2


def test_api_sign_ins_send_djangos_login_signals(api):
    from django.contrib.auth.signals import user_logged_in, user_login_failed

    seen = []

    def logged_in(sender, request, user, **kwargs):
        seen.append(("in", user.email, request.path))

    def failed(sender, credentials, request, **kwargs):
        seen.append(("failed", credentials["email"], request.path))

    user_logged_in.connect(logged_in)
    user_login_failed.connect(failed)
    try:
        User.objects.create_user("sig@example.com", "sig-password-123")
        api.post("/api/token/", {"email": "sig@example.com", "password": "wrong"}, format="json")
        api.post("/api/token/", {"email": "sig@example.com", "password": "sig-password-123"}, format="json")
    finally:
        user_logged_in.disconnect(logged_in)
        user_login_failed.disconnect(failed)
    assert seen == [("failed", "sig@example.com", "/api/token/"), ("in", "sig@example.com", "/api/token/")]
    assert User.objects.get().last_login is not None


# --- audit -----------------------------------------------------------------------------------


def test_audit_events_for_the_main_flows(api, wos, client):
    received = []
    audit.SIGNALS["sign_in_succeeded"].connect(
        lambda sender, event, **kw: received.append(event.kind), weak=False, dispatch_uid="t1"
    )
    try:
        wos.add_user("aud@example.com")
        pair = api.post("/api/auth/workos/callback", {"code": wos.code("aud@example.com")}, format="json").json()
        User.objects.create_user("link@example.com")
        wos.add_user("link@example.com")
        api.post("/api/auth/workos/callback", {"code": wos.code("link@example.com")}, format="json")
        api.post("/api/token/", {"email": "aud@example.com", "password": "wrong"}, format="json")
        rotated = api.post("/api/token/refresh/", {"refresh": pair["refresh_token"]}, format="json").json()
        from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

        BlacklistedToken.objects.update(blacklisted_at=timezone.now() - timedelta(minutes=5))
        api.post("/api/token/refresh/", {"refresh": pair["refresh_token"]}, format="json")
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {rotated['access']}")
        api.post("/api/auth/logout/")
    finally:
        audit.SIGNALS["sign_in_succeeded"].disconnect(dispatch_uid="t1")
    assert kinds() == [
        "account_provisioned",
        "sign_in_succeeded",
        "identity_linked",
        "sign_in_succeeded",
        "sign_in_failed",
        "refresh_token_reuse",
        "logout",
    ]
    assert received == ["sign_in_succeeded", "sign_in_succeeded"]
    failed = AuditEvent.objects.get(kind="sign_in_failed")
    assert failed.reason == "invalid_credentials" and failed.email == "aud@example.com"
    for event in AuditEvent.objects.all():
        text = str(event.details) + event.reason
        assert "wrong" not in text and pair["refresh_token"] not in text  # no secrets stored


def test_audit_throttled_sso_and_connect_events(api, wos, client, settings):
    settings.GATEHOUSE_RATE_LIMITS = {
        **settings.GATEHOUSE_RATE_LIMITS,
        "password_ip": "1/d",
        "password_account": "100/d",
    }
    for _ in range(4):
        api.post("/api/token/", {"email": "t@example.com", "password": "x"}, format="json")
    # the first refusal of a window is audited; the rest of a flood writes nothing
    assert AuditEvent.objects.filter(kind="throttled", reason="password_ip").count() == 1

    from sso import sync
    from sso.admin import delete_in_workos
    from sso.models import Connection

    wos.seed(
        organizations=[{"id": "org_Q", "name": "Q"}],
        connections=[{"id": "conn_Q", "name": "Q", "organization": "org_Q"}],
    )
    sync.sync_all()
    delete_in_workos(list(Connection.objects.all()))
    assert AuditEvent.objects.filter(kind="sso_connection_deleted").count() == 1

    from accounts.errors import GatehouseError
    from standalone_connect import service

    with pytest.raises(GatehouseError) as failed:
        service.complete("ext_doesnotexist", User.objects.create_user("c@example.com"))
    assert failed.value.status == 404
    assert AuditEvent.objects.filter(kind="connect_failed").count() == 1


def test_prune_removes_old_events(capsys):
    audit.record("logout", email="old@example.com")
    AuditEvent.objects.update(created_at=timezone.now() - timedelta(days=400))
    audit.record("logout", email="new@example.com")
    call_command("prune_audit", "--days", "180")
    assert list(AuditEvent.objects.values_list("email", flat=True)) == ["new@example.com"]
    assert "Removed 1 audit events" in capsys.readouterr().out


def test_audit_stores_hostile_text_safely(api):
    response = api.post("/api/token/", {"email": "a\u0000b\u0007@example.com", "password": "x"}, format="json")
    assert response.status_code in (400, 401)
    api.post("/api/auth/workos/callback", {"code": "x", "state": "s\u0000:1:x"}, format="json")
    for event in AuditEvent.objects.all():
        assert "\x00" not in event.email + event.reason + str(event.details)


def test_sign_out_everywhere_reaches_other_browsers(client, api):
    from django.test import Client

    User.objects.create_user("b@example.com", "b-password-123")
    other_browser = Client()
    other_browser.post("/auth/login", {"email": "b@example.com", "password": "b-password-123"})
    assert other_browser.get("/").context["user"].is_authenticated
    client.post("/auth/login", {"email": "b@example.com", "password": "b-password-123"})
    page = client.get("/account/sessions")
    assert [s.channel for s in page.context["sessions"]] == ["browser", "browser"]
    assert b"(this browser)" in page.content
    client.post("/account/sessions", {"session": "all"})
    assert not other_browser.get("/").context["user"].is_authenticated
    assert AuditEvent.objects.filter(kind="sessions_revoked").exists()


def test_browser_logout_ends_its_sign_in(client):
    User.objects.create_user("o@example.com", "o-password-123")
    client.post("/auth/login", {"email": "o@example.com", "password": "o-password-123"})
    client.post("/auth/logout")
    assert AuthSession.objects.get().revoked_reason == "logout"
