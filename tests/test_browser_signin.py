"""A real browser signs in through the emulator's hosted AuthKit page and signs out again."""

import pytest

from accounts.models import User
from tests.conftest import sign_in_on_authkit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_authkit_sign_in_and_out_in_chromium(page, site, wos):
    wos.add_user("browser@example.com", password="pw-browser-1", first_name="Bea")
    page.goto(f"{site}/auth/login?next=/")
    page.get_by_test_id("workos-signin").click()
    sign_in_on_authkit(page, wos, "browser@example.com", "pw-browser-1")
    page.wait_for_url(f"{site}/")
    assert page.get_by_test_id("signed-in-as").inner_text() == "browser@example.com"
    assert "Welcome, Bea" in page.content()
    user = User.objects.get(email="browser@example.com")
    assert user.workos_user_id

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{site}/")
    assert page.get_by_test_id("signed-in-as").count() == 0
    sessions = list(wos.store.sessions.values())
    assert [s["status"] for s in sessions] == ["revoked"]


def test_password_sign_in_on_our_page(page, site):
    User.objects.create_user("local@example.com", "a-local-password-1")
    page.goto(f"{site}/auth/login")
    page.fill("#id_username", "local@example.com")
    page.get_by_role("button", name="Continue").click()
    page.fill("#id_password", "wrong")
    page.get_by_role("button", name="Sign in", exact=True).click()
    assert "Email or password is incorrect." in page.get_by_role("alert").inner_text()
    page.fill("#id_password", "a-local-password-1")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{site}/")
    assert page.get_by_test_id("signed-in-as").inner_text() == "local@example.com"


def test_tampered_callback_shows_a_page_not_a_500(page, site):
    page.goto(f"{site}/auth/callback?code=abc&state=forged:1:x")
    assert page.get_by_test_id("error-code").inner_text() == "state_invalid"


def test_emailed_code_then_mfa_challenge_pages_in_chromium(page, site, wos):
    from workos_emulator import totp

    secret = "JBSWY3DPEHPK3PXP"
    wos.add_user("coded@example.com", mfa=True, totp_secret=secret)
    page.goto(f"{site}/auth/login?next=/account/sessions")
    page.fill("#id_username", "coded@example.com")
    page.get_by_role("button", name="Continue").click()
    page.get_by_test_id("send-code").click()
    page.get_by_test_id("code-sent").wait_for()
    page.fill("#id_code", wos.mail("coded@example.com")["code"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{site}/auth/steps")
    assert "authenticator app" in page.content()
    page.fill("#id_code", totp.code_at(secret, wos.store.now()))
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{site}/account/sessions")
    assert page.get_by_test_id("signed-in-as").inner_text() == "coded@example.com"


def test_a_person_removed_on_the_directory_page_is_signed_out_in_chromium(page, site, wos):
    """The demo, end to end: signed in through AuthKit, removed by the customer's IT on the
    emulator's directory page, signed out at the next page load; nobody touched Gatehouse."""
    from directory.sync import sync_directories
    from sso.sync import sync_all

    wos.seed(
        organizations=[{"id": "org_ACME", "name": "Acme", "domains": ["acme.test"]}],
        users=[{"email": "ivy@acme.test", "password": "pw-ivy-12345", "organizations": ["org_ACME"]}],
        directories=[
            {
                "id": "directory_ACME",
                "name": "Acme Okta",
                "organization": "org_ACME",
                "users": [{"email": "ivy@acme.test"}],
            }
        ],
    )
    wos.store.add_webhook_endpoint(f"{site}/webhooks/workos", "whsec_test")
    sync_all()
    sync_directories()
    page.goto(f"{site}/auth/login?next=/account/sessions")
    page.get_by_test_id("workos-signin").click()
    sign_in_on_authkit(page, wos, "ivy@acme.test", "pw-ivy-12345")
    page.wait_for_url(f"{site}/account/sessions")

    it = page.context.new_page()
    it.goto(f"{wos.url}/_emulator/directory")
    it.get_by_role("row", name="ivy@acme.test").get_by_role("button", name="Remove").click()
    it.wait_for_url(f"{wos.url}/_emulator/directory")
    assert "ivy@acme.test" not in it.content()

    page.reload()
    assert page.url.startswith(f"{site}/auth/login")
    assert "Your organization removed you from its directory, so you were signed out." in page.content()
    user = User.objects.get(email="ivy@acme.test")
    assert not user.is_active and user.deprovisioned_reason == "directory_user_removed"
