"""An admin signs in, syncs SSO connections from WorkOS, searches, opens one and deletes it."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.conftest import sign_in_with_password

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_syncs_searches_and_deletes_a_connection(page, site, wos):
    wos.seed(
        organizations=[
            {"id": "org_ACME", "name": "Acme", "domains": ["acme.test"]},
            {"id": "org_GLOBEX", "name": "Globex", "domains": ["globex.test"]},
        ],
        connections=[
            {"id": "conn_ACME", "name": "Acme Okta", "organization": "org_ACME"},
            {
                "id": "conn_GLOBEX",
                "name": "Globex Entra",
                "organization": "org_GLOBEX",
                "connection_type": "EntraIdOIDC",
            },
        ],
    )
    User.objects.create_superuser("root@example.com", "root-password-1")
    page.goto(f"{site}/admin/login/?next=/admin/sso/connection/")
    page.wait_for_url(f"{site}/auth/login?next=**")
    sign_in_with_password(page, "root@example.com", "root-password-1")
    page.wait_for_url(f"{site}/admin/sso/connection/")

    page.click("#sync-now")
    expect(page.locator(".messagelist")).to_contain_text("connections: 2 created")

    page.fill("#searchbar", "globex.test")
    page.press("#searchbar", "Enter")
    page.wait_for_url("**q=globex.test")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    assert "Globex Entra" in rows.inner_text()

    page.get_by_role("link", name="Globex Entra").click()
    expect(page.locator("#content")).to_contain_text("conn_GLOBEX")
    expect(page.get_by_role("link", name="Open in WorkOS")).to_have_count(1)
    page.click("#delete-in-workos")
    page.click("#confirm-delete")
    expect(page.locator(".messagelist")).to_contain_text("Deleted in WorkOS: Globex Entra")
    assert "conn_GLOBEX" not in wos.store.connections
    expect(page.locator("#result_list tbody tr")).to_have_count(1)


def test_pages_run_under_the_content_security_policy(page, site, settings):
    """Chromium enforces the CSP: no page of ours needs anything it blocks."""
    settings.GATEHOUSE_EXAMPLES_ENABLED = True
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    User.objects.create_superuser("csp-admin@example.com", "csp-admin-password-1")
    page.goto(f"{site}/auth/login?next=/admin/")
    sign_in_with_password(page, "csp-admin@example.com", "csp-admin-password-1")
    page.wait_for_url(f"{site}/admin/")
    for path in [
        "/",
        "/auth/login",
        "/auth/sso",
        "/account/sessions",
        "/examples/spa/",
        "/admin/",
        "/admin/sso/connection/",
        "/admin/accounts/user/",
    ]:
        response = page.goto(f"{site}{path}")
        assert response.status == 200 and "default-src 'self'" in response.headers["content-security-policy"]
    page.goto(f"{site}/api/docs/")
    page.wait_for_selector(".swagger-ui .info")  # the docs rendered: their scripts ran
    assert violations == []
