"""The example SPA in headless Chromium, in both token modes, against the emulator."""

import time
from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from accounts.models import AuthSession
from tests.conftest import sign_in_on_authkit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def spa(site, wos, settings):
    settings.WORKOS_ALLOWED_REDIRECT_URIS = [f"{site}/examples/spa/callback"]
    settings.WORKOS_LOGOUT_RETURN_TO = f"{site}/"
    settings.WORKOS_ALLOWED_LOGOUT_RETURN_TOS = [f"{site}/examples/spa/"]  # the SPA asks to come back to itself
    settings.GATEHOUSE_EXAMPLES_ENABLED = True
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "ACCESS_TOKEN_LIFETIME": timedelta(seconds=2), "LEEWAY": 0}
    wos.store.seed(
        {
            "settings": {
                "redirect_uris": [f"{site}/examples/spa/callback"],
                "logout_redirect_uris": [f"{site}/", f"{site}/examples/spa/"],
            }
        }
    )
    wos.add_user("spa@example.com", password="pw-spa-12345", first_name="Sia")
    return f"{site}/examples/spa/"


@pytest.mark.parametrize("cookie_mode", [False, True], ids=["body-tokens", "cookie-tokens"])
def test_spa_sign_in_refresh_and_logout(page, spa, wos, settings, cookie_mode):
    settings.GATEHOUSE_TOKEN_COOKIES = cookie_mode
    refreshes = []
    page.on("request", lambda r: refreshes.append(r.url) if r.url.endswith("/api/token/refresh/") else None)
    page.goto(spa)
    page.get_by_role("button", name="Continue with WorkOS").click()
    sign_in_on_authkit(page, wos, "spa@example.com", "pw-spa-12345")
    expect(page.locator("#user-email")).to_have_text("spa@example.com")
    expect(page.locator("#mode")).to_have_text("HttpOnly cookies" if cookie_mode else "memory (response body)")
    assert page.evaluate("Object.keys(localStorage).length") == 0
    if cookie_mode:
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert cookies["gatehouse_access"]["httpOnly"]

    refreshes.clear()  # (a signed-out page probes the refresh cookie once on load)
    with time_machine.travel(time.time() + 3):  # the server's clock: the 2 s access token has expired
        page.get_by_role("button", name="Reload profile").click()
        expect(page.locator("#refreshes")).to_have_text("1")
        expect(page.locator("#user-email")).to_have_text("spa@example.com")
        assert len(refreshes) == 1

        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(spa)
        expect(page.get_by_role("button", name="Continue with WorkOS")).to_be_visible()
    assert [s["status"] for s in wos.store.sessions.values()] == ["revoked"]


def test_spa_refused_sign_in_shows_the_message(page, spa, wos, settings):
    settings.GATEHOUSE_ALLOWED_EMAIL_DOMAINS = ["corp.test"]
    page.goto(spa)
    page.get_by_role("button", name="Continue with WorkOS").click()
    sign_in_on_authkit(page, wos, "spa@example.com", "pw-spa-12345")
    expect(page.locator("#error")).to_have_text(
        "Your account cannot be created automatically. Ask an administrator to invite you."
    )
    assert page.locator("#error").get_attribute("data-code") == "provisioning_not_allowed"


def test_spa_password_form_and_wrong_password(page, spa):
    from accounts.models import User

    User.objects.create_user("pw@example.com", "a-good-password-1")
    page.goto(spa)
    page.fill("#password-form #email", "pw@example.com")
    page.fill("#password-form #password", "wrong")
    page.locator("#password-form button").click()
    expect(page.locator("#error")).to_have_text("That email and password do not match an account.")
    page.fill("#password-form #password", "a-good-password-1")
    page.locator("#password-form button").click()
    expect(page.locator("#user-email")).to_have_text("pw@example.com")


def test_spa_google_sign_in_through_a_real_oidc_provider(page, spa, site, settings, google_idp):
    from accounts.models import User

    callback = f"{site}/examples/spa/callback/google"
    settings.GOOGLE_CLIENT_ID = "spa-google-client"
    settings.GOOGLE_CLIENT_SECRET = "secret"
    settings.GOOGLE_DISCOVERY_URL = f"{google_idp.url}/.well-known/openid-configuration"
    settings.GOOGLE_ALLOWED_REDIRECT_URIS = [callback]
    settings.GOOGLE_HOSTED_DOMAIN = ""
    User.objects.create_user("gina@example.com", first_name="Gina")
    google_idp.set_user("gina-sub", email="gina@example.com", email_verified=True)
    page.goto(spa)
    page.get_by_role("button", name="Continue with Google").click()
    page.wait_for_url(f"{google_idp.url}/oauth2/authorize**")
    page.fill("input[name=sub]", "gina-sub")
    page.get_by_role("button", name="Authorize").click()
    expect(page.locator("#user-email")).to_have_text("gina@example.com")

    google_idp.set_user("stranger-sub", email="stranger@example.com", email_verified=True)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Continue with Google")).to_be_visible()
    page.get_by_role("button", name="Continue with Google").click()
    page.fill("input[name=sub]", "stranger-sub")
    page.get_by_role("button", name="Authorize").click()
    expect(page.locator("#error")).to_have_text(
        "There is no account for you here yet. Ask an administrator to invite you."
    )


def test_spa_refuses_a_callback_link_it_did_not_start(page, spa, wos):
    """Login CSRF: an attacker's own code and state, sent to the victim as a link."""
    from rest_framework.test import APIClient

    from tests.helpers import follow_hosted_sign_in

    wos.add_user("attacker@example.com", password="attacker-pw-123")
    started = APIClient().get("/api/auth/workos/authorize", {"redirect_uri": f"{spa}callback"}).json()
    back = follow_hosted_sign_in(started["authorization_url"], email="attacker@example.com", password="attacker-pw-123")
    exchanges = []
    page.on("request", lambda r: exchanges.append(r.url) if r.url.endswith("/api/auth/workos/callback") else None)
    page.goto(f"{spa}callback?code={back['code']}&state={back['state']}")
    expect(page.locator("#error")).to_have_text("That sign-in did not start here. Please sign in again.")
    expect(page.get_by_role("button", name="Continue with WorkOS")).to_be_visible()
    assert exchanges == []
    # its own sign-in still works afterwards
    page.get_by_role("button", name="Continue with WorkOS").click()
    sign_in_on_authkit(page, wos, "spa@example.com", "pw-spa-12345")
    expect(page.locator("#user-email")).to_have_text("spa@example.com")


def test_spa_shows_provider_errors_in_its_own_words(page, spa):
    planted = "Your account is locked. Call +1 555 0100."
    page.goto(f"{spa}callback?error=access_denied&error_description={planted.replace(' ', '+')}")
    expect(page.locator("#error")).to_be_visible()
    assert planted not in page.locator("body").inner_text()


def test_spa_signs_in_with_an_emailed_code(page, spa, wos):
    page.goto(spa)
    page.fill("#code-email", "spa@example.com")
    page.get_by_role("button", name="Email me a code").click()
    expect(page.locator("#code-sent")).to_contain_text("If this address can sign in")
    page.fill("#magic-code", "000000" if wos.mail("spa@example.com")["code"] != "000000" else "111111")
    page.get_by_role("button", name="Sign in with the code").click()
    expect(page.locator("#error")).to_have_attribute("data-code", "invalid_one_time_code")
    page.fill("#magic-code", wos.mail("spa@example.com")["code"])
    page.get_by_role("button", name="Sign in with the code").click()
    expect(page.locator("#user-email")).to_have_text("spa@example.com")


@pytest.mark.parametrize("style", ["snake", "camel"])
def test_spa_passes_mfa_enrollment_and_organization_steps(page, spa, wos, settings, style):
    """In either API style (the SPA reads both)."""
    from sso import sync

    settings.GATEHOUSE_API_STYLE = style
    from workos_emulator import totp

    wos.seed(organizations=[{"id": "org_A", "name": "Alpha"}, {"id": "org_B", "name": "Beta"}])
    sync.sync_all()  # the SPA names the organization from the mirror
    wos.add_user(
        "steps@example.com", password="pw-steps-123", email_verified=False, mfa=True, organizations=["org_A", "org_B"]
    )
    page.goto(spa)
    page.get_by_role("button", name="Continue with WorkOS").click()
    sign_in_on_authkit(page, wos, "steps@example.com", "pw-steps-123")
    expect(page.locator("#step-text")).to_contain_text("We sent a code to steps@example.com")
    page.fill("#step-code", wos.mail("steps@example.com")["code"])
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#step-text")).to_contain_text("requires an authenticator app")
    page.get_by_role("button", name="Set up authenticator").click()
    expect(page.locator("#totp-qr")).to_be_visible()
    secret = page.locator("#totp-key").inner_text().removeprefix("Key: ")
    page.fill("#step-code", totp.code_at(secret, wos.store.now()))
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#step-text")).to_have_text("Choose the organization to sign in to.")
    page.get_by_role("button", name="Beta").click()
    expect(page.locator("#user-email")).to_have_text("steps@example.com")
    expect(page.locator("#user-org")).to_have_text("Beta")
    expect(page.locator("#recovery-codes li")).to_have_count(10)  # the authenticator's recovery codes, once
    codes = page.locator("#recovery-codes li").all_inner_texts()
    page.get_by_role("button", name="I have saved them").click()
    expect(page.locator("#recovery")).to_be_hidden()
    expect(page.locator("#user-name")).to_have_text("—")
    expect(page.locator("#policy")).to_contain_text("signed out after 30 min idle, at most 8 h")

    # the authenticator is lost: a recovery code, a new authenticator, new codes
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Continue with WorkOS").click()
    sign_in_on_authkit(page, wos, "steps@example.com", "pw-steps-123")
    expect(page.locator("#step-text")).to_contain_text("recovery codes")
    page.fill("#step-code", codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#step-text")).to_contain_text("requires an authenticator app")
    page.get_by_role("button", name="Set up authenticator").click()
    expect(page.locator("#totp-qr")).to_be_visible()
    secret = page.locator("#totp-key").inner_text().removeprefix("Key: ")
    page.fill("#step-code", totp.code_at(secret, wos.store.now()))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Beta").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert codes[0] not in page.locator("#recovery-codes li").all_inner_texts()


def test_spa_warns_before_an_idle_sign_out_and_lets_the_person_stay(page, spa, wos):
    page.clock.install()  # the page's clock only: minutes pass in an instant
    page.goto(spa)
    page.get_by_role("button", name="Continue with WorkOS").click()
    sign_in_on_authkit(page, wos, "spa@example.com", "pw-spa-12345")
    expect(page.locator("#user-email")).to_have_text("spa@example.com")
    expect(page.locator("#policy")).to_have_text("signed out after 30 min idle, at most 8 h")
    expect(page.locator("#idle-warning")).to_be_hidden()

    page.clock.fast_forward("28:30")
    expect(page.locator("#idle-warning")).to_be_visible()
    expect(page.locator("#idle-countdown")).to_have_text("1:30")
    refreshes_before = int(page.locator("#refreshes").inner_text())
    page.get_by_role("button", name="Stay signed in").click()
    expect(page.locator("#idle-warning")).to_be_hidden()
    expect(page.locator("#refreshes")).to_have_text(str(refreshes_before + 1))  # the server saw it

    page.clock.fast_forward("30:05")
    expect(page.locator("#error")).to_have_attribute("data-code", "session_idle_timeout")
    expect(page.get_by_role("button", name="Continue with WorkOS")).to_be_visible()
    assert list(AuthSession.objects.values_list("revoked_reason", flat=True)) == ["logout"]


def test_spa_renews_an_sso_like_sign_in_through_workos_at_its_absolute_end(page, spa, wos):
    page.clock.install()
    page.goto(spa)
    page.get_by_role("button", name="Continue with WorkOS").click()
    sign_in_on_authkit(page, wos, "spa@example.com", "pw-spa-12345")
    expect(page.locator("#user-email")).to_have_text("spa@example.com")
    page.clock.fast_forward("08:00:05")  # past `expires_at`; the policy's fallback for WorkOS sign-ins is "redirect"
    page.wait_for_url(f"{wos.url}/user_management/authorize**")


@pytest.mark.parametrize("cookie_mode", [False, True], ids=["body-tokens", "cookie-tokens"])
def test_spa_signed_out_logs_no_console_errors(page, spa, site, settings, cookie_mode):
    settings.GATEHOUSE_TOKEN_COOKIES = cookie_mode
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(spa)
    expect(page.get_by_role("button", name="Continue with WorkOS")).to_be_visible()
    page.goto(f"{site}/auth/login")
    page.wait_for_load_state("networkidle")
    assert errors == []


def test_spa_lists_my_sign_ins_and_ends_another_one(page, spa, wos):
    page.goto(spa)
    page.get_by_role("button", name="Continue with WorkOS").click()
    sign_in_on_authkit(page, wos, "spa@example.com", "pw-spa-12345")
    expect(page.locator("#user-email")).to_have_text("spa@example.com")
    user = AuthSession.objects.get().user
    AuthSession.objects.create(
        user=user,
        method="password",
        user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    )
    page.get_by_role("button", name="Reload profile").click()
    rows = page.locator("#sessions li")
    expect(rows).to_have_count(2)
    firefox = rows.filter(has_text="Firefox on Windows")
    firefox.get_by_role("button", name="End").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("(this one)")
    assert AuthSession.objects.filter(revoked_at__isnull=True).count() == 1


def test_spa_switches_organization_without_signing_in_again(page, spa, wos):
    from sso import sync

    wos.seed(organizations=[{"id": "org_A", "name": "Alpha"}, {"id": "org_B", "name": "Beta"}])
    sync.sync_all()
    wos.add_user("two@example.com", password="pw-two-12345", organizations=["org_A", "org_B"])
    page.goto(spa)
    page.get_by_role("button", name="Continue with WorkOS").click()
    sign_in_on_authkit(page, wos, "two@example.com", "pw-two-12345")
    page.get_by_role("button", name="Alpha").click()
    expect(page.locator("#user-org")).to_have_text("Alpha")
    page.get_by_role("button", name="Switch to Beta").click()
    expect(page.locator("#user-org")).to_have_text("Beta")
    expect(page.get_by_role("button", name="Switch to Alpha")).to_be_visible()
    assert [s["organization_id"] for s in wos.store.sessions.values()] == ["org_B"]


def test_spa_signs_in_to_an_organization_that_asks_for_mfa_instead_of_switching(page, spa, wos):
    from sso import sync
    from workos_emulator import totp

    wos.seed(organizations=[{"id": "org_A", "name": "Alpha"}, {"id": "org_B", "name": "Beta", "mfa_required": True}])
    sync.sync_all()
    wos.add_user("strict@example.com", password="pw-strict-123", organizations=["org_A", "org_B"])
    page.goto(spa)
    page.get_by_role("button", name="Continue with WorkOS").click()
    sign_in_on_authkit(page, wos, "strict@example.com", "pw-strict-123")
    page.get_by_role("button", name="Alpha").click()
    expect(page.locator("#user-org")).to_have_text("Alpha")
    page.get_by_role("button", name="Switch to Beta").click()
    expect(page.locator("#error")).to_contain_text("asks for multi-factor authentication")
    expect(page.locator("#user-org")).to_have_text("Alpha")  # still signed in, where it was
    page.get_by_test_id("sign-in-to-organization").click()
    sign_in_on_authkit(page, wos, "strict@example.com", "pw-strict-123")
    page.get_by_role("button", name="Beta").click()  # AuthKit's organization step, then Beta's MFA
    expect(page.locator("#step-text")).to_contain_text("requires an authenticator app")
    page.get_by_role("button", name="Set up authenticator").click()
    expect(page.locator("#totp-qr")).to_be_visible()
    secret = page.locator("#totp-key").inner_text().removeprefix("Key: ")
    page.fill("#step-code", totp.code_at(secret, wos.store.now()))
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#user-org")).to_have_text("Beta")


def test_spa_chooses_cookie_or_memory_tokens_without_a_restart(page, spa, wos, settings):
    settings.GATEHOUSE_TOKEN_DELIVERY_CHOICE = True
    for choice, shown in (
        ("in HttpOnly cookies", "HttpOnly cookies"),
        ("in this page's memory", "memory (response body)"),
    ):
        page.goto(spa)
        page.get_by_label(choice).check()
        page.get_by_role("button", name="Continue with WorkOS").click()
        sign_in_on_authkit(page, wos, "spa@example.com", "pw-spa-12345")
        expect(page.locator("#mode")).to_have_text(shown)
        has_cookie = any(c["name"] == "gatehouse_access" for c in page.context.cookies())
        assert has_cookie == (shown == "HttpOnly cookies")
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(spa)  # back from WorkOS's logout, signed out: the next round starts from here
        expect(page.get_by_role("button", name="Continue with WorkOS")).to_be_visible()
