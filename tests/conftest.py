"""Fixtures: the WorkOS emulator on loopback (once per session, reset per test), API clients."""

import socket
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from rest_framework.test import APIClient

from workos_emulator import EmulatorServer

API_KEY = "sk_test_emulator"
CLIENT_ID = "client_emulator"
SPA_CALLBACK = "http://spa.test/callback"
# An injected latency of SLOW_MS or more is a timeout: Emulator.inject then sets the WorkOS
# client's timeout to WORKOS_TIMEOUT.
WORKOS_TIMEOUT = 0.5
SLOW_MS = 800


@pytest.fixture(scope="session")
def emulator():
    server = EmulatorServer(quiet=True).start()
    yield server
    server.stop()


class Emulator:
    """Test-side handle on the emulator: seed it, get codes, inject faults, read its log."""

    def __init__(self, server, settings):
        self.server = server
        self.settings = settings
        self.url = server.url
        self.store = server.store

    def seed(self, **data):
        return self.store.seed(data)

    def add_user(self, email, **fields):
        return self.seed(users=[{"email": email, **fields}])["users"][0]

    def mail(self, to):
        """The last email the emulator would have sent to `to` (its outbox)."""
        response = requests.get(f"{self.url}/_emulator/outbox", params={"to": to}, timeout=5)
        assert response.status_code == 200 and response.json(), f"no email to {to}"
        return response.json()[0]

    def code(self, email=None, *, kind="authkit", redirect_uri="http://testserver/auth/callback", **extra):
        body = {"email": email, "kind": kind, "redirect_uri": redirect_uri, **extra}
        response = requests.post(f"{self.url}/_emulator/codes", json=body, timeout=5)
        assert response.status_code == 201, response.text
        return response.json()["code"]

    def inject(self, path, *, method="*", status=500, body=None, times=1, **extra):
        if extra.get("latency_ms", 0) >= SLOW_MS:
            # a timeout at test scale: our client gives up well before the injected delay ends
            self.settings.WORKOS_REQUEST_TIMEOUT = WORKOS_TIMEOUT
        rule = {"path": path, "method": method, "status": status, "times": times, **extra}
        if body is not None:
            rule["body"] = body
        response = requests.post(f"{self.url}/_emulator/errors", json=rule, timeout=5)
        assert response.status_code == 201, response.text

    def slow(self, path="*", ms=300, method="*", jitter_ms=0):
        """Delay the emulator's answers on the routes matching `path` (a glob): a slow WorkOS."""
        rule = {"path": path, "ms": ms, "method": method, "jitter_ms": jitter_ms}
        response = requests.post(f"{self.url}/_emulator/latency", json=rule, timeout=5)
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
    settings.WORKOS_REQUEST_TIMEOUT = 5
    settings.WORKOS_MAX_RETRIES = 0  # faults are injected once and must surface, not be slept on
    yield Emulator(emulator, settings)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture(autouse=True)
def _fast_password_hasher(request, settings):
    """Argon2 is slow on purpose; tests that are not about hashing use a fast hasher."""
    if "real_hashers" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _cache_per_worker(worker_id):
    """With parallel workers (pytest-xdist) on Redis, each worker gets its own Redis database:
    `cache.clear()` between tests must not wipe another worker's throttle counters."""
    from urllib.parse import urlsplit, urlunsplit

    from django.conf import settings as django_settings
    from django.test import override_settings

    cache = django_settings.CACHES["default"]
    if worker_id == "master" or not cache["BACKEND"].endswith("RedisCache"):
        yield
        return
    url = urlsplit(cache["LOCATION"])
    database = int(url.path.strip("/") or 0) - 1 - int(worker_id.removeprefix("gw"))
    with override_settings(
        CACHES={"default": {**cache, "LOCATION": urlunsplit(url._replace(path=f"/{database % 16}"))}}
    ):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield


# --- headless Debian Chromium driven by Playwright (never a downloaded browser) -------------

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


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


def sign_in_with_password(page, email, password):
    """Our email-first sign-in page: the email, Continue, then the password."""
    page.fill("#id_username", email)
    page.get_by_role("button", name="Continue").click()
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_in_on_authkit(page, wos, email, password):
    """The emulator's hosted AuthKit page, once the browser has been sent there."""
    page.wait_for_url(f"{wos.url}/user_management/authorize**")
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="Sign in", exact=True).click()


@pytest.fixture
def site(live_server, wos, settings):
    """The live app wired to the emulator, with its callback and logout targets allowlisted."""
    base = live_server.url
    settings.WORKOS_REDIRECT_URI = f"{base}/auth/callback"
    settings.WORKOS_LOGOUT_RETURN_TO = f"{base}/"
    wos.store.seed({"settings": {"redirect_uris": [f"{base}/auth/callback"], "logout_redirect_uris": [f"{base}/"]}})
    return base


# --- a real OpenID provider process (oidc-provider-mock), standing in for Google and Okta ---


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MockProvider:
    """oidc-provider-mock in its own process."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "-p", str(self.port), "-H", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                if requests.get(f"{self.url}/.well-known/openid-configuration", timeout=1).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("oidc-provider-mock did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)

    def set_user(self, sub, **claims):
        assert requests.put(f"{self.url}/users/{sub}", json=claims, timeout=5).status_code == 204

    def code(self, sub, *, client_id, redirect_uri="http://spa.test/oidc-callback", nonce=None):
        params = {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "openid email profile",
            "state": "st",
        }
        if nonce:
            params["nonce"] = nonce
        response = requests.post(
            f"{self.url}/oauth2/authorize", params=params, data={"sub": sub}, allow_redirects=False, timeout=5
        )
        assert response.status_code == 302, response.text
        return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


@pytest.fixture(scope="session")
def google_idp():
    provider = MockProvider()
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def okta_idp():
    provider = MockProvider()
    yield provider
    provider.stop()
