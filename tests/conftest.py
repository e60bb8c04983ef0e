"""Fixtures: the WorkOS emulator on loopback (once per session, reset per test), API clients."""

import time

import pytest
import requests
from rest_framework.test import APIClient

from workos_emulator import EmulatorServer

API_KEY = "sk_test_emulator"
CLIENT_ID = "client_emulator"
SPA_CALLBACK = "http://spa.test/callback"


@pytest.fixture(scope="session")
def emulator():
    server = EmulatorServer(quiet=True).start()
    yield server
    server.stop()


class Emulator:
    """Test-side handle on the emulator: seed it, get codes, inject faults, read its log."""

    def __init__(self, server):
        self.server = server
        self.url = server.url
        self.store = server.store

    def seed(self, **data):
        return self.store.seed(data)

    def add_user(self, email, **fields):
        return self.seed(users=[{"email": email, **fields}])["users"][0]

    def code(self, email=None, *, kind="authkit", redirect_uri="http://testserver/auth/callback", **extra):
        body = {"email": email, "kind": kind, "redirect_uri": redirect_uri, **extra}
        response = requests.post(f"{self.url}/_emulator/codes", json=body, timeout=5)
        assert response.status_code == 201, response.text
        return response.json()["code"]

    def inject(self, path, *, method="*", status=500, body=None, times=1, **extra):
        rule = {"path": path, "method": method, "status": status, "times": times, **extra}
        if body is not None:
            rule["body"] = body
        response = requests.post(f"{self.url}/_emulator/errors", json=rule, timeout=5)
        assert response.status_code == 201, response.text

    def log(self, path=None, settle=0):
        """The emulator's request log; `settle` waits for slow (injected latency) requests to end."""
        if settle:
            time.sleep(settle)
        entries = requests.get(f"{self.url}/_emulator/requests", timeout=5).json()
        return [e for e in entries if path is None or e["path"] == path]

    def advance(self, seconds):
        requests.post(f"{self.url}/_emulator/clock", json={"advance": seconds}, timeout=5)


@pytest.fixture
def wos(emulator, settings):
    emulator.store.reset()
    emulator.store.seed(
        {
            "settings": {
                "api_key": API_KEY,
                "client_id": CLIENT_ID,
                "redirect_uris": ["http://testserver/auth/callback", SPA_CALLBACK],
                "logout_redirect_uris": ["http://testserver/"],
            }
        }
    )
    settings.WORKOS_API_KEY = API_KEY
    settings.WORKOS_CLIENT_ID = CLIENT_ID
    settings.WORKOS_BASE_URL = emulator.url
    settings.WORKOS_REDIRECT_URI = "http://testserver/auth/callback"
    settings.WORKOS_ALLOWED_REDIRECT_URIS = [SPA_CALLBACK]
    settings.WORKOS_REQUEST_TIMEOUT = 2
    settings.WORKOS_MAX_RETRIES = 0  # faults are injected once and must surface, not be slept on
    yield Emulator(emulator)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield


# --- headless Debian Chromium driven by Playwright (never a downloaded browser) -------------

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
