"""Account linking: which external identity may claim which local account, and what is written."""

import pytest

from accounts.models import AuditEvent, AuthSession, Identity, User
from accounts.signin import workos
from sso import sync
from tests.conftest import SPA_CALLBACK
from tests.helpers import follow_hosted_sign_in

pytestmark = pytest.mark.django_db


def _sso_sign_in(api, *, connection, email):
    url, _state = workos.authorization_url(flow="sso", redirect_uri=SPA_CALLBACK, connection_id=connection)
    back = follow_hosted_sign_in(url, email=email)
    return api.post(
        "/api/auth/workos/callback",
        {"code": back["code"], "state": back["state"], "redirect_uri": SPA_CALLBACK},
        format="json",
    )


@pytest.fixture
def lax_org(wos):
    """An organization whose WorkOS setting lets SSO profiles carry any email address."""
    wos.seed(
        organizations=[
            {
                "id": "org_LAX",
                "name": "Lax",
                "domains": ["lax.test", {"domain": "pending.test", "state": "pending"}],
                "allow_profiles_outside_organization": True,
            }
        ],
        connections=[
            {
                "id": "conn_LAX",
                "name": "Lax IdP",
                "organization": "org_LAX",
                "profiles": [
                    {"email": "boss@victim.test", "id": "prof_BOSS"},
                    {"email": "ann@pending.test"},
                    {"email": "kim@lax.test"},
                    {"email": "root@lax.test"},
                ],
            }
        ],
    )
    return "conn_LAX"


def _nothing_written(user):
    user.refresh_from_db()
    assert not Identity.objects.filter(user=user).exists()
    assert not AuthSession.objects.filter(user=user).exists()
    assert not AuditEvent.objects.filter(kind__in=["identity_linked", "account_provisioned"]).exists()


@pytest.mark.parametrize("email", ["boss@victim.test", "ann@pending.test"])
def test_sso_email_outside_the_organizations_verified_domains_claims_no_account(api, wos, lax_org, email):
    victim = User.objects.create_user(email, "victim-password-123")
    sync.sync_all()
    response = _sso_sign_in(api, connection=lax_org, email=email)
    assert response.status_code == 403
    assert response.json()["code"] == "email_not_verified"
    _nothing_written(victim)


def test_sso_email_in_a_verified_domain_links_and_is_audited(api, wos, lax_org):
    kim = User.objects.create_user("kim@lax.test")
    sync.sync_all()
    response = _sso_sign_in(api, connection=lax_org, email="kim@lax.test")
    assert response.status_code == 200, response.content
    identity = Identity.objects.get(user=kim)
    assert identity.provider == "workos_sso"
    event = AuditEvent.objects.get(kind="identity_linked")
    assert event.user == kim and event.details["subject"] == identity.subject


def test_verified_domains_are_asked_of_workos_when_the_mirror_lacks_the_organization(api, wos, lax_org):
    kim = User.objects.create_user("kim@lax.test")
    assert _sso_sign_in(api, connection=lax_org, email="kim@lax.test").status_code == 200
    assert [e["status"] for e in wos.log("/organizations/org_LAX")] == [200]
    assert Identity.objects.filter(user=kim).count() == 1
    User.objects.create_user("ann@pending.test")
    assert _sso_sign_in(api, connection=lax_org, email="ann@pending.test").json()["code"] == "email_not_verified"


def test_an_already_linked_sso_profile_still_signs_in_with_an_unverified_domain(api, wos, lax_org):
    boss = User.objects.create_user("boss@victim.test")
    sync.sync_all()
    first = _sso_sign_in(api, connection=lax_org, email="boss@victim.test")
    assert first.status_code == 403
    # an administrator links it explicitly; from then on the profile signs in that account
    Identity.objects.create(user=boss, provider="workos_sso", subject="prof_BOSS")
    assert _sso_sign_in(api, connection=lax_org, email="boss@victim.test").status_code == 200


@pytest.fixture
def google_setup(google_idp, settings, api):
    settings.GOOGLE_CLIENT_ID = "google-client"
    settings.GOOGLE_CLIENT_SECRET = "google-secret"
    settings.GOOGLE_DISCOVERY_URL = f"{google_idp.url}/.well-known/openid-configuration"
    settings.GOOGLE_ALLOWED_REDIRECT_URIS = ["http://spa.test/oidc-callback"]

    def sign_in(email):
        google_idp.set_user(f"g-{email}", email=email, email_verified=True)
        code = google_idp.code(f"g-{email}", client_id="google-client")
        return api.post(
            "/api/auth/google/", {"redirect_uri": "http://spa.test/oidc-callback", "code": code}, format="json"
        )

    return sign_in


@pytest.mark.parametrize("staff_field", ["is_staff", "is_superuser"])
def test_staff_accounts_are_never_linked_by_email(api, wos, lax_org, staff_field, google_setup):
    admin = User.objects.create_user("root@lax.test", "root-password-123", **{staff_field: True})
    sync.sync_all()
    sso = _sso_sign_in(api, connection=lax_org, email="root@lax.test")  # a verified domain, even
    assert (sso.status_code, sso.json()["code"]) == (403, "link_requires_admin")
    wos.add_user("root@lax.test", password="authkit-pw-1234", email_verified=True)
    authkit = api.post("/api/auth/workos/callback", {"code": wos.code("root@lax.test")}, format="json")
    assert (authkit.status_code, authkit.json()["code"]) == (403, "link_requires_admin")
    google = google_setup("root@lax.test")
    assert (google.status_code, google.json()["code"]) == (403, "link_requires_admin")
    admin.refresh_from_db()
    assert admin.workos_user_id is None
    _nothing_written(admin)


def test_an_inactive_account_is_refused_and_nothing_is_linked(api, wos):
    sleeper = User.objects.create_user("sleeper@example.com", is_active=False)
    wos.add_user("sleeper@example.com")
    response = api.post("/api/auth/workos/callback", {"code": wos.code("sleeper@example.com")}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "user_inactive")
    sleeper.refresh_from_db()
    assert sleeper.workos_user_id is None
    _nothing_written(sleeper)


def test_adapter_refusal_after_provisioning_rolls_the_account_back(api, wos, settings):
    settings.GATEHOUSE_PROVISIONING_ADAPTER = "tests.test_linking.RefuseEveryone"
    wos.add_user("nobody@example.com")
    response = api.post("/api/auth/workos/callback", {"code": wos.code("nobody@example.com")}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "sign_in_not_allowed")
    assert (
        User.objects.count()
        == Identity.objects.count()
        == AuditEvent.objects.filter(kind="account_provisioned").count()
        == 0
    )


class RefuseEveryone:
    def may_provision(self, identity):
        return True

    def may_link_by_email(self, identity):
        return True

    def may_sign_in(self, user, identity):
        return False


def test_admin_links_are_explicit_and_audited(client, wos):
    admin = User.objects.create_superuser("admin@example.com", "admin-password-123")
    staff = User.objects.create_user("staff@example.com", is_staff=True)
    client.force_login(admin)
    page = client.get(f"/admin/accounts/user/{staff.pk}/change/")
    form = page.context["adminform"].form
    data = {
        k: v
        for k, v in form.initial.items()
        if v is not None
        and k not in ("password", "groups", "user_permissions", "last_login", "date_joined", "updated_at")
    }
    data.update(
        {
            "workos_user_id": "user_01LINKEDBYADMIN",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "identities-TOTAL_FORMS": "1",
            "identities-INITIAL_FORMS": "0",
            "identities-0-provider": "google",
            "identities-0-subject": "google-sub-42",
            "identities-0-email": "staff@example.com",
        }
    )
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    response = client.post(f"/admin/accounts/user/{staff.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    staff.refresh_from_db()
    assert staff.workos_user_id == "user_01LINKEDBYADMIN"
    events = {
        (e.details["provider"], e.details["subject"], e.details["by"], e.reason)
        for e in AuditEvent.objects.filter(kind="identity_linked", user=staff)
    }
    assert events == {
        ("workos", "user_01LINKEDBYADMIN", "admin@example.com", "by_admin"),
        ("google", "google-sub-42", "admin@example.com", "by_admin"),
    }
