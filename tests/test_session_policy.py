"""Session policy: returned with every sign-in and refresh, enforced on refresh and for browsers,
edited per organization in the admin."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts import session_limits as session_policy
from accounts.models import AuditEvent, AuthSession, SessionPolicy, User
from tests.conftest import SPA_CALLBACK
from tests.helpers import follow_hosted_sign_in

pytestmark = pytest.mark.django_db


def password_pair(api, email="pat@example.com", password="pw-pat-12345"):
    if not User.objects.filter(email=email).exists():
        User.objects.create_user(email, password=password)
    response = api.post("/api/token/", {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def workos_sign_in(api, wos, email, **params):
    start = api.get("/api/auth/workos/authorize", {"redirect_uri": SPA_CALLBACK, **params}).json()
    back = follow_hosted_sign_in(start["authorization_url"], email=email, password="pw-12345678")
    response = api.post(
        "/api/auth/workos/callback",
        {"code": back["code"], "state": back["state"], "redirect_uri": SPA_CALLBACK},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def refresh(api, token):
    return api.post("/api/token/refresh/", {"refresh": token}, format="json")


def backdate(**fields):
    AuthSession.objects.update(**{k: timezone.now() - v for k, v in fields.items()})


def test_every_sign_in_and_refresh_carries_the_default_policy(api):
    pair = password_pair(api)
    config = pair["session_config"]
    assert config == {
        "enabled": True,
        "idle_timeout_minutes": 30,
        "absolute_lifetime_hours": 8,
        "warning_minutes": 2,
        "idle_tracking": True,
        "sso_silent_renewal": True,
        "sso_fallback": "redirect",
        "password_silent_renewal": False,
        "password_fallback": "logout",
        "silent_renewal": False,
        "fallback": "logout",
        "expires_at": config["expires_at"],
    }
    session = AuthSession.objects.get()
    assert config["expires_at"].startswith((session.created_at + timedelta(hours=8)).isoformat()[:16])
    assert refresh(api, pair["refresh"]).json()["session_config"]["expires_at"] == config["expires_at"]


def test_an_organization_policy_applies_to_its_sign_ins(api, wos):
    wos.seed(organizations=[{"id": "org_STRICT", "name": "Strict"}])
    wos.add_user("sam@strict.test", password="pw-12345678", organizations=["org_STRICT"])
    SessionPolicy.objects.create(
        organization_id="org_STRICT",
        idle_timeout_minutes=10,
        absolute_lifetime_hours=2,
        warning_minutes=1,
        sso_fallback="logout",
    )
    config = workos_sign_in(api, wos, "sam@strict.test")["session_config"]
    assert (config["idle_timeout_minutes"], config["absolute_lifetime_hours"], config["warning_minutes"]) == (10, 2, 1)
    assert config["silent_renewal"] is True and config["fallback"] == "logout"  # an AuthKit sign-in renews like SSO


def test_refresh_after_the_idle_timeout_ends_the_sign_in_and_the_workos_session(api, wos):
    wos.add_user("idle@example.com", password="pw-12345678")
    pair = workos_sign_in(api, wos, "idle@example.com")
    backdate(last_seen_at=timedelta(minutes=31))
    response = refresh(api, pair["refresh_token"])
    assert response.status_code == 401 and response.json()["code"] == "session_idle_timeout"
    assert "30 minutes without activity" in response.json()["message"]
    session = AuthSession.objects.get()
    assert session.revoked_reason == "session_idle_timeout"
    assert [s["status"] for s in wos.store.sessions.values()] == ["revoked"]
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SESSIONS_REVOKED, reason="session_idle_timeout").exists()
    assert refresh(api, pair["refresh_token"]).json()["code"] == "session_revoked"


def test_refresh_past_the_absolute_lifetime_ends_the_sign_in_even_when_active(api):
    pair = password_pair(api)
    backdate(created_at=timedelta(hours=8, minutes=1), last_seen_at=timedelta(minutes=1))
    response = refresh(api, pair["refresh"])
    assert response.status_code == 401 and response.json()["code"] == "session_expired"
    assert AuthSession.objects.get().revoked_reason == "session_expired"


def test_a_refresh_is_activity(api):
    pair = password_pair(api)
    backdate(last_seen_at=timedelta(minutes=29))
    renewed = refresh(api, pair["refresh"])
    assert renewed.status_code == 200
    assert timezone.now() - AuthSession.objects.get().last_seen_at < timedelta(seconds=5)
    backdate(last_seen_at=timedelta(minutes=29))
    assert refresh(api, renewed.json()["refresh"]).status_code == 200


def test_disabled_policy_is_not_enforced(api, settings):
    settings.GATEHOUSE_SESSION_POLICY = {"enabled": False}
    pair = password_pair(api)
    assert pair["session_config"]["enabled"] is False and pair["session_config"]["expires_at"] is None
    backdate(created_at=timedelta(days=3), last_seen_at=timedelta(days=2))
    assert refresh(api, pair["refresh"]).status_code == 200


def test_access_tokens_never_outlive_the_policy(api, settings):
    from rest_framework_simplejwt.tokens import AccessToken

    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "ACCESS_TOKEN_LIFETIME": timedelta(hours=3)}
    settings.GATEHOUSE_SESSION_POLICY = {"idle_timeout_minutes": 20, "absolute_lifetime_hours": 1, "warning_minutes": 2}
    pair = password_pair(api)
    exp = datetime_from_epoch(AccessToken(pair["access"])["exp"])
    assert exp <= timezone.now() + timedelta(minutes=20, seconds=1)  # the idle timeout from now
    backdate(created_at=timedelta(minutes=50), last_seen_at=timedelta(minutes=1))
    renewed = refresh(api, pair["refresh"]).json()
    session = AuthSession.objects.get()
    assert datetime_from_epoch(AccessToken(renewed["access"])["exp"]) <= session.created_at + timedelta(
        hours=1, seconds=1
    )


def test_me_stays_query_free_with_the_policy_on(api):
    pair = password_pair(api)
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {pair['access']}").status_code == 200
    assert len(queries) == 0


# --- browsers --------------------------------------------------------------------------------


def browser_sign_in(client, email="pat@example.com", password="pw-pat-12345"):
    User.objects.create_user(email, password=password)
    assert client.post("/auth/login", {"email": email, "password": password})["Location"] == "/"
    return AuthSession.objects.get()


def test_a_browser_idle_too_long_is_signed_out_with_a_message(client):
    browser_sign_in(client)
    backdate(last_seen_at=timedelta(minutes=31))
    page = client.get("/account/sessions", follow=True)
    assert page.redirect_chain[0][0].startswith("/auth/login")
    assert "30 minutes without activity" in page.content.decode()
    assert AuthSession.objects.get().revoked_reason == "session_idle_timeout"


def test_a_browser_past_the_absolute_lifetime_is_signed_out(client):
    session = browser_sign_in(client)
    assert client.session.get_expiry_age() == 8 * 3600  # the cookie does not outlive the policy either
    AuthSession.objects.filter(pk=session.pk).update(created_at=timezone.now() - timedelta(hours=9))
    assert client.get("/account/sessions").status_code == 302
    assert AuthSession.objects.get().revoked_reason == "session_expired"


def test_browser_activity_is_written_at_most_once_a_minute(client):
    browser_sign_in(client)
    backdate(last_seen_at=timedelta(minutes=2))
    with CaptureQueriesContext(connection) as first:
        client.get("/account/sessions")
    with CaptureQueriesContext(connection) as second:
        client.get("/account/sessions")
    updates = lambda qs: [
        q for q in qs.captured_queries if q["sql"].startswith("UPDATE") and "accounts_authsession" in q["sql"]
    ]  # noqa: E731
    assert len(updates(first)) == 1 and updates(second) == []
    assert timezone.now() - AuthSession.objects.get().last_seen_at < timedelta(seconds=5)


# --- administration and defaults -------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"idle_timeout_minutes": 10, "warning_minutes": 10}, "warning_minutes"),
        ({"idle_timeout_minutes": 2}, "idle_timeout_minutes"),
        ({"idle_timeout_minutes": 600, "absolute_lifetime_hours": 8}, "idle_timeout_minutes"),
        ({"absolute_lifetime_hours": 0}, "absolute_lifetime_hours"),
        ({"organization_id": "acme"}, "organization_id"),
    ],
)
def test_policy_validation(fields, field):
    policy = SessionPolicy(**{"organization_id": "org_A", **fields})
    with pytest.raises(ValidationError) as refused:
        policy.full_clean()
    assert field in refused.value.message_dict


def test_admin_edits_a_policy_and_the_change_applies_at_once(admin_client, api):
    from sso.models import Organization

    Organization.objects.create(workos_id="org_A", name="Alpha Inc", last_synced_at=timezone.now())
    page = admin_client.get("/admin/accounts/sessionpolicy/")
    assert page.status_code == 200 and "default policy: idle 30 min" in page.content.decode()
    assert "default policy" not in page.content.decode().split("</title>")[0]  # the title stays short
    form = admin_client.get("/admin/accounts/sessionpolicy/add/").content.decode()
    assert '<option value="org_A">Alpha Inc</option>' in form  # suggested by name as one types
    unknown = admin_client.post(
        "/admin/accounts/sessionpolicy/add/",
        {
            "organization_id": "org_TYPO",
            "enabled": "on",
            "idle_timeout_minutes": 15,
            "absolute_lifetime_hours": 1,
            "warning_minutes": 3,
            "sso_fallback": "redirect",
            "password_fallback": "logout",
        },
    )
    assert unknown.status_code == 200 and "No organization mirrored from WorkOS is called" in unknown.content.decode()
    bad = admin_client.post(
        "/admin/accounts/sessionpolicy/add/",
        {
            "organization_id": "org_A",
            "enabled": "on",
            "idle_timeout_minutes": 5,
            "absolute_lifetime_hours": 1,
            "warning_minutes": 5,
            "sso_fallback": "redirect",
            "password_fallback": "logout",
        },
    )
    assert bad.status_code == 200 and "The warning must come before the idle timeout." in bad.content.decode()
    assert session_policy.for_organization("org_A") == session_policy.default()
    good = admin_client.post(  # typed by name, as the field's placeholder invites
        "/admin/accounts/sessionpolicy/add/",
        {
            "organization_id": "alpha inc",
            "enabled": "on",
            "idle_timeout_minutes": 15,
            "absolute_lifetime_hours": 1,
            "warning_minutes": 3,
            "sso_fallback": "redirect",
            "password_fallback": "logout",
        },
    )
    assert good.status_code == 302
    assert session_policy.for_organization("org_A").idle_timeout_minutes == 15
    listed = admin_client.get("/admin/accounts/sessionpolicy/").content.decode()
    assert "Alpha Inc" in listed  # by name, not org_A


def test_a_brand_new_user_joins_the_default_organization(api, wos, settings):
    settings.GATEHOUSE_DEFAULT_ORGANIZATION_ID = "org_DEFAULT"
    # both organizations verified the people's domain: they belong there
    wos.seed(organizations=[{"id": "org_DEFAULT", "name": "Default", "domains": ["example.com"]}])
    wos.add_user("new@example.com", password="pw-12345678")
    body = workos_sign_in(api, wos, "new@example.com")
    assert body["created"] is True and body["user"]["organization_id"] == "org_DEFAULT"
    assert User.objects.get(email="new@example.com").organization_id == "org_DEFAULT"
    wos.seed(organizations=[{"id": "org_HINT", "name": "Hinted", "domains": ["example.com"]}])
    wos.add_user("hinted@example.com", password="pw-12345678")
    start = api.get("/api/auth/workos/authorize", {"redirect_uri": SPA_CALLBACK}).json()
    back = follow_hosted_sign_in(start["authorization_url"], email="hinted@example.com", password="pw-12345678")
    hinted = api.post(
        "/api/auth/workos/callback",
        {"code": back["code"], "state": back["state"], "redirect_uri": SPA_CALLBACK, "organization_id": "org_HINT"},
        format="json",
    )
    assert hinted.json()["user"]["organization_id"] == "org_HINT"  # a hint wins over the default


def test_an_unsound_default_policy_fails_the_system_check(settings):
    from accounts.checks import check_workos

    settings.GATEHOUSE_SESSION_POLICY = {"idle_timeout_minutes": 3, "warning_minutes": 5}
    assert {e.id for e in check_workos()} >= {"gatehouse.E015"}


@pytest.mark.parametrize(
    "reason, said",
    [
        ("revoked_by_staff", "This sign-in was ended elsewhere. Sign in again."),
        ("user_deactivated", "This account was disabled, so you were signed out."),
    ],
)
def test_a_browser_whose_sign_in_was_ended_is_told_why(client, reason, said):
    session = browser_sign_in(client)
    AuthSession.objects.filter(pk=session.pk).update(revoked_at=timezone.now(), revoked_reason=reason)
    page = client.get("/account/sessions", follow=True)
    assert page.redirect_chain[0][0].startswith("/auth/login")
    assert said in page.content.decode()
