"""Headless Debian Chromium driven by Playwright (never a downloaded browser)."""

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]


@pytest.fixture(scope="session")
def _playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def chromium(_playwright):
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def site(live_server, wos, settings):
    """The live app wired to the emulator, with its callback and logout targets allowlisted."""
    base = live_server.url
    settings.WORKOS_REDIRECT_URI = f"{base}/auth/callback"
    settings.WORKOS_LOGOUT_RETURN_TO = f"{base}/"
    wos.store.seed({"settings": {"redirect_uris": [f"{base}/auth/callback"], "logout_redirect_uris": [f"{base}/"]}})
    return base
