"""Email-first sign-in in Chromium: the login rule sends one person to SSO, another to a password."""

import pytest
from playwright.sync_api import expect

from accounts.models import LoginRule, User
from tests.conftest import sign_in_with_password

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_email_first_routes_to_sso_and_to_password(page, site, wos):
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
    LoginRule.objects.create(pattern="acme.test", method="sso", organization_id="org_ACME", allow_signup=True)
    User.objects.create_user("pat@example.com", "pat-password-1")

    page.goto(f"{site}/auth/login")
    page.fill("#id_username", "sam@acme.test")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{wos.url}/sso/authorize**")
    page.get_by_role("button", name="Sign in as sam@acme.test").click()
    expect(page.get_by_test_id("signed-in-as")).to_have_text("sam@acme.test")
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"{site}/auth/login")
    sign_in_with_password(page, "pat@example.com", "pat-password-1")
    expect(page.get_by_test_id("signed-in-as")).to_have_text("pat@example.com")
