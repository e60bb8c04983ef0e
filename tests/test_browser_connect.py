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
        oauth_applications=[
            {
                "client_id": "client_web",
                "client_secret": "s3cret",
                "name": "Partner App",
                "redirect_uris": [client_redirect],
            }
        ],
        settings={"connect_login_uri": f"{site}/connect/login"},
    )
    User.objects.create_user("flo@example.com", "flo-password-1", organization_id="org_FLO")
    page.goto(
        f"{wos.url}/oauth2/authorize?client_id=client_web&response_type=code&state=abc&redirect_uri={client_redirect}"
    )
    page.wait_for_url(f"{site}/auth/login?next=**")
    sign_in_with_password(page, "flo@example.com", "flo-password-1")
    page.wait_for_url(f"{wos.url}/oauth2/consent**")
    expect(page.locator("h1")).to_contain_text("Partner App wants to access your account")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{client_redirect}?**")
    query = parse_qs(urlsplit(page.url).query)
    assert query["state"] == ["abc"] and query["code"]
    assert ConnectAttempt.objects.get().outcome == "completed"


def test_another_site_cannot_complete_a_connect_sign_in_for_a_signed_in_browser(page, site, wos):
    """Login CSRF: an attacker starts an OAuth authorization with their own client and sends a
    signed-in victim's browser to our Login URI from their site. Nothing completes until the
    person confirms on our page; a forged POST from the other site is refused."""
    import requests

    attacker = "http://attacker.test"
    wos.seed(
        oauth_applications=[
            {"client_id": "client_evil", "client_secret": "s3cret", "name": "Evil", "redirect_uris": [f"{attacker}/cb"]}
        ],
        settings={"connect_login_uri": f"{site}/connect/login"},
    )
    User.objects.create_user("victim@example.com", "victim-password-1")
    page.goto(f"{site}/auth/login")
    sign_in_with_password(page, "victim@example.com", "victim-password-1")
    page.wait_for_url(f"{site}/**")
    start = requests.get(
        f"{wos.url}/oauth2/authorize",
        params={"client_id": "client_evil", "redirect_uri": f"{attacker}/cb", "response_type": "code", "state": "x"},
        allow_redirects=False,
        timeout=5,
    )
    ext_id = parse_qs(urlsplit(start.headers["Location"]).query)["external_auth_id"][0]

    pages = {
        "/go": f'<script>location.href = "{site}/connect/login?external_auth_id={ext_id}";</script>',
        "/post": f'<form method="post" action="{site}/connect/login"><input name="external_auth_id" value="{ext_id}">'
        "</form><script>document.forms[0].submit();</script>",
        "/cb": "<h1>the attacker received a code</h1>",
    }
    page.route(
        f"{attacker}/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=pages[urlsplit(route.request.url).path]),
    )

    page.goto(f"{attacker}/go")
    page.wait_for_url(f"{site}/connect/login?**")
    expect(page.locator("h1")).to_contain_text("Continue as victim@example.com?")
    with page.expect_response(f"{site}/connect/login") as posted:
        page.goto(f"{attacker}/post")
    assert posted.value.status == 403  # no CSRF token (and SameSite kept the session cookie home)
    assert wos.log("/authkit/oauth2/complete") == [] and not ConnectAttempt.objects.exists()

    # the person, on our own page, chooses to go on: now (and only now) it completes
    page.goto(f"{attacker}/go")
    page.get_by_test_id("connect-continue").click()
    page.wait_for_url(f"{attacker}/cb?**")
    assert ConnectAttempt.objects.get().outcome == "completed"
