"""Standalone Connect in a real browser: AuthKit -> our Login URI -> our sign-in form -> consent."""

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from accounts.models import User
from standalone_connect.models import ConnectAttempt
from tests.conftest import sign_in_with_password

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_connect_loop_with_the_sign_in_form(page, site, wos):
    client_redirect = f"{site}/healthz"  # stands in for the OAuth client's callback
    wos.seed(
        oauth_applications=[{"client_id": "client_web", "client_secret": "s3cret", "name": "Partner App", "redirect_uris": [client_redirect]}],
        settings={"connect_login_uri": f"{site}/connect/login"},
    )
    User.objects.create_user("flo@example.com", "flo-password-1", organization_id="org_FLO")
    page.goto(f"{wos.url}/oauth2/authorize?client_id=client_web&response_type=code&state=abc&redirect_uri={client_redirect}")
    page.wait_for_url(f"{site}/auth/login?next=**")
    sign_in_with_password(page, "flo@example.com", "flo-password-1")
    page.wait_for_url(f"{wos.url}/oauth2/consent**")
    expect(page.locator("h1")).to_contain_text("Partner App wants to access your account")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{client_redirect}?**")
    query = parse_qs(urlsplit(page.url).query)
    assert query["state"] == ["abc"] and query["code"]
    assert ConnectAttempt.objects.get().outcome == "completed"
