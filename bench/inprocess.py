"""Measurements made inside one Django process (against the emulator started by bench)."""

import statistics
import time
from urllib.parse import parse_qs, urlsplit

import requests
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from accounts import sessions
from accounts.models import User

_TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK", "COMMIT")


def data_queries(captured):
    """Statements that read or write data (transaction control is not counted)."""
    return len([q for q in captured.captured_queries if not q["sql"].lstrip().upper().startswith(_TRANSACTION_CONTROL)])


def access_token_for_bench():
    user, _ = User.objects.get_or_create(email="bench@example.com")
    return sessions.start_token_session(user, method="password").access


def queries_per_me():
    client = Client(HTTP_HOST="127.0.0.1")
    token = access_token_for_bench()
    out = {}
    for name, path in (
        ("bare Django view (no auth)", "/bench/bare"),
        ("Gatehouse /api/auth/me", "/api/auth/me"),
        ("simplejwt JWTAuthentication", "/bench/simplejwt"),
        ("simplejwt stateless", "/bench/simplejwt-stateless"),
    ):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
        out[name] = data_queries(queries)
    return out


class Emulator:
    def __init__(self, url):
        self.url = url

    def post(self, path, body):
        response = requests.post(f"{self.url}/_emulator/{path}", json=body, timeout=120)
        response.raise_for_status()
        return response.json()

    def clear_log(self):
        requests.delete(f"{self.url}/_emulator/requests", timeout=5)

    def log(self):
        return requests.get(f"{self.url}/_emulator/requests", timeout=30).json()


def _callback(emulator, email, runs=15):
    client = Client(HTTP_HOST="127.0.0.1")
    samples, calls, queries = [], [], []
    for _ in range(runs):
        code = emulator.post("codes", {"email": email})["code"]
        emulator.clear_log()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.post("/api/auth/workos/callback", {"code": code}, content_type="application/json")
            total_ms = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content
        log = emulator.log()
        samples.append(total_ms - sum(entry["duration_ms"] for entry in log))
        calls.append(len(log))
        queries.append(data_queries(captured))
    return samples, calls, queries


def callback(emulator):
    existing = "bench-existing@example.com"
    emulator.post("seed", {"users": [{"email": existing}]})
    _callback(emulator, existing, runs=1)  # provisions
    samples, calls, queries = _callback(emulator, existing)
    result = {"existing user": {"server_ms": statistics.median(samples), "workos_calls": max(calls), "queries": max(queries)}}
    new_samples, new_calls, new_queries = [], [], []
    for i in range(15):
        email = f"bench-new-{time.time_ns()}-{i}@example.com"
        emulator.post("seed", {"users": [{"email": email}]})
        s, c, q = _callback(emulator, email, runs=1)
        new_samples += s
        new_calls += c
        new_queries += q
    result["new user"] = {"server_ms": statistics.median(new_samples), "workos_calls": max(new_calls), "queries": max(new_queries)}
    return result


def password(runs=15):
    user, _ = User.objects.get_or_create(email="bench-password@example.com")
    user.set_password("bench-password-123")
    user.save()
    client = Client(HTTP_HOST="127.0.0.1")
    cases = {
        "right password": ("bench-password@example.com", "bench-password-123"),
        "wrong password": ("bench-password@example.com", "wrong-password-123"),
        "unknown email": ("nobody-here@example.com", "bench-password-123"),
    }
    times = {name: [] for name in cases}
    for _ in range(runs):
        for name, (email, pw) in cases.items():
            started = time.perf_counter()
            client.post("/api/token/", {"email": email, "password": pw}, content_type="application/json")
            times[name].append((time.perf_counter() - started) * 1000)
    means = {name: statistics.mean(values) for name, values in times.items()}
    means["spread_pct"] = (max(means.values()) / min(means.values()) - 1) * 100
    return means


def jwks(emulator_url):
    from accounts import oidc
    from fake_idp import FakeOIDC
    from standalone_connect.authentication import ConnectTokenAuthentication

    fake = FakeOIDC()
    out = {}
    try:
        with override_settings(GOOGLE_CLIENT_ID="fake-client", GOOGLE_CLIENT_SECRET="x", GOOGLE_DISCOVERY_URL=f"{fake.url}/.well-known/openid-configuration", GOOGLE_ALLOWED_REDIRECT_URIS=["http://x"]):
            config = oidc.provider_config("google")
            meta = oidc.metadata_cache.get(config)
            token = fake.sign(fake.claims())
            for _ in range(1000):
                oidc.verify_id_token(config, meta, token)
            out["Google/Okta ID tokens"] = fake.jwks_fetches
    finally:
        fake.stop()
    token, user = _connect_token(emulator_url)
    emulator = Emulator(emulator_url)
    emulator.clear_log()
    from rest_framework.test import APIRequestFactory

    factory = APIRequestFactory()
    with override_settings(CONNECT_ISSUER=emulator_url, CONNECT_JWKS_URL=f"{emulator_url}/oauth2/jwks", CONNECT_AUDIENCE="client_bench"):
        auth = ConnectTokenAuthentication()
        for _ in range(1000):
            request = factory.get("/api/connect/me", HTTP_AUTHORIZATION=f"Bearer {token}")
            assert auth.authenticate(request)[0] == user
    out["Connect access tokens"] = len([e for e in emulator.log() if e["path"] == "/oauth2/jwks"])
    return out


def _connect_token(emulator_url):
    from standalone_connect import service

    emulator = Emulator(emulator_url)
    emulator.post("seed", {"oauth_applications": [{"client_id": "client_bench", "client_secret": "s", "redirect_uris": ["http://127.0.0.1:9/cb"]}], "settings": {"connect_login_uri": "http://127.0.0.1:9/connect/login", "auto_login": "bench@example.com"}})
    user, _ = User.objects.get_or_create(email="bench-connect@example.com")
    start = requests.get(f"{emulator_url}/oauth2/authorize", params={"client_id": "client_bench", "redirect_uri": "http://127.0.0.1:9/cb"}, allow_redirects=False, timeout=5)
    ext_id = parse_qs(urlsplit(start.headers["Location"]).query)["external_auth_id"][0]
    consent = requests.get(service.complete(ext_id, user), allow_redirects=False, timeout=5)
    code = parse_qs(urlsplit(consent.headers["Location"]).query)["code"][0]
    token = requests.post(f"{emulator_url}/oauth2/token", data={"grant_type": "authorization_code", "client_id": "client_bench", "client_secret": "s", "code": code, "redirect_uri": "http://127.0.0.1:9/cb"}, timeout=5).json()["access_token"]
    return token, user


def sync(emulator, count):
    from sso.sync import sync_all

    emulator.post("seed", {"organizations": [{"id": "org_BENCH", "name": "Bench"}]})
    batch = 2000
    for start in range(0, count, batch):
        emulator.post("seed", {"connections": [{"name": f"Bench {i:05}", "organization": "org_BENCH", "domains": [f"b{i}.test"]} for i in range(start, min(count, start + batch))]})
    emulator.clear_log()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        report = sync_all()
        seconds = time.perf_counter() - started
    pages = len([e for e in emulator.log() if e["path"] == "/connections"])
    return {
        "connections": count,
        "seconds": seconds,
        "workos_requests": pages,
        "organization_requests": len([e for e in emulator.log() if e["path"] == "/organizations"]),
        "queries": data_queries(captured),
        "queries_per_page": data_queries(captured) / max(pages, 1),
        "created": report.connections.created,
    }


def run(emulator_url, sync_connections):
    emulator = Emulator(emulator_url)
    with override_settings(DEBUG=False):
        return {
            "callback": callback(emulator),
            "password": password(),
            "jwks": jwks(emulator_url),
            "sync": sync(emulator, sync_connections),
        }
