"""Measurements made inside one Django process (against the emulator started by bench)."""

import hashlib
import hmac
import io
import statistics
import time
from urllib.parse import parse_qs, urlsplit

import orjson
import requests
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts import tokens
from accounts.models import AuthSession, User
from accounts.signin import oidc
from bench.common import Emulator
from fake_idp import FakeOIDC
from sso.models import Connection
from sso.sync import sync_all
from standalone_connect import service
from standalone_connect.authentication import ConnectTokenAuthentication
from workos_integration import client as workos_client

_TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK", "COMMIT")


def data_queries(captured):
    """Statements that read or write data (transaction control is not counted)."""
    return len([q for q in captured.captured_queries if not q["sql"].lstrip().upper().startswith(_TRANSACTION_CONTROL)])


def database_description():
    vendor = connection.vendor
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if vendor == "postgresql" else "SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    return {"vendor": vendor, "version": version.split(" on ")[0]}


def bench_tokens(count, per_user=10):
    """`count` valid access tokens of distinct sign-ins (AuthSessions) of count/per_user users.
    Safe to run again on the same database: the previous run's bench sessions are removed."""
    emails = [f"bench-user-{i:05}@example.com" for i in range(max(1, count // per_user))]
    User.objects.bulk_create([User(email=email) for email in emails], ignore_conflicts=True)
    users = list(User.objects.filter(email__in=emails).order_by("pk"))
    AuthSession.objects.filter(user__in=users).delete()
    now = timezone.now()
    made = AuthSession.objects.bulk_create(
        [AuthSession(user=users[i % len(users)], method="password", last_seen_at=now) for i in range(count)],
        batch_size=2000,
    )
    return [tokens.mint(session.user, session).access for session in made]


def queries_per_me(token):
    client = Client(HTTP_HOST="127.0.0.1")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    return data_queries(queries)


def _rounds(cases, rounds, reduce=statistics.median):
    """Run each case `rounds` times, interleaved (A B C, B C A, ...): `reduce` (the median) of
    each case's samples."""
    names = list(cases)
    samples = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            samples[name].append(cases[name]())
    return {name: reduce(values) for name, values in samples.items()}


DECOMPOSED = {
    "bare Django view": ("/bench/bare", "many"),
    "/api/auth/me, one token (cached)": ("/api/auth/me", "one"),
    "/api/auth/me, distinct tokens (uncached)": ("/api/auth/me", "many"),
    "Gatehouse auth through DRF, distinct tokens": ("/bench/gatehouse-drf", "many"),
    "simplejwt stateless, distinct tokens": ("/bench/simplejwt-stateless", "many"),
}


def decomposition(many, per_round=4000, rounds=5):
    """Microseconds per request through Django's handler (middleware, URL routing, view, JSON),
    without a server: where the time of one request goes."""
    handler = BaseHandler()
    handler.load_middleware()
    factory = RequestFactory(HTTP_HOST="127.0.0.1")
    offset = [0]

    def case(path, which):
        def run():
            start = offset[0]
            offset[0] = (start + per_round) % len(many)
            batch = (
                [many[0]] * per_round if which == "one" else [many[(start + i) % len(many)] for i in range(per_round)]
            )
            built = [factory.get(path, HTTP_AUTHORIZATION=f"Bearer {token}") for token in batch]
            began = time.perf_counter()
            for request in built:
                if handler.get_response(request).status_code != 200:
                    raise AssertionError(f"{path} refused a bench token")
            return (time.perf_counter() - began) / per_round * 1e6

        return run

    return _rounds({name: case(path, which) for name, (path, which) in DECOMPOSED.items()}, rounds)


def verification(many, rounds=5):
    """Microseconds to verify one access token that was not seen before (the 20,000 tokens cycle
    through a cache of 4,096), Gatehouse vs simplejwt's AccessToken, and HMAC-SHA256 alone."""
    from rest_framework_simplejwt.state import token_backend

    key = token_backend.signing_key.encode()

    def timed(check):
        def run():
            began = time.perf_counter()
            for raw in many:
                check(raw)
            return (time.perf_counter() - began) / len(many) * 1e6

        return run

    return _rounds(
        {
            "Gatehouse verify_access": timed(tokens.verify_access),
            "simplejwt AccessToken(...)": timed(AccessToken),
            "HMAC-SHA256 of the token alone": timed(lambda raw: hmac.new(key, raw.encode(), hashlib.sha256).digest()),
        },
        rounds,
    )


class WSGI:
    """Requests handed to Django's WSGI handler as a server hands them over (environ in,
    response iterated and closed), so that the time measured is the application's: no test
    client instrumentation, no HTTP parsing or socket I/O."""

    def __init__(self):
        self.handler = WSGIHandler()  # loads the middleware once, as a server's worker does

    def post_json(self, path, body):
        data = orjson.dumps(body)
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SCRIPT_NAME": "",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(data)),
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.input": io.BytesIO(data),
            "wsgi.url_scheme": "http",
            "wsgi.errors": io.StringIO(),
        }
        status = []
        response = self.handler(environ, lambda line, headers, exc_info=None: status.append(line))
        try:
            content = b"".join(response)
        finally:
            response.close()
        return int(status[0].split()[0]), content


def _sign_in(wsgi, code):
    status, content = wsgi.post_json("/api/auth/workos/callback", {"code": code})
    assert status == 200, content


def _timed(wsgi, emulator, email):
    """Server time of one callback, the time spent waiting on WorkOS taken off."""
    code = emulator.post("codes", {"email": email})["code"]
    with workos_client.time_spent() as waiting:
        started = time.perf_counter()
        _sign_in(wsgi, code)
        total_ms = (time.perf_counter() - started) * 1000
    return total_ms - sum(waiting)


def _counted(wsgi, emulator, email):
    """WorkOS calls and queries of one callback (not timed: capturing queries slows them down)."""
    code = emulator.post("codes", {"email": email})["code"]
    emulator.clear_log()
    with CaptureQueriesContext(connection) as captured:
        _sign_in(wsgi, code)
    return len(emulator.log()), data_queries(captured)


def callback(emulator, runs=60):
    """Server time (the time spent waiting on WorkOS taken off), WorkOS calls and queries of the
    unified callback: a person signing in again, and people signing in for the first time, their
    requests interleaved (A B A B ...) so that a slow moment of the machine hits both alike."""
    existing = "bench-existing@example.com"
    # a fixed WorkOS id: the user the previous run provisioned is the same person
    emulator.post("seed", {"users": [{"id": "user_01BENCHEX1STNGVSER0000000", "email": existing}]})
    wsgi = WSGI()
    for _ in range(3):
        _timed(wsgi, emulator, existing)  # provisions (first run) and warms up

    def newcomer():
        email = f"bench-new-{time.time_ns()}@example.com"
        emulator.post("seed", {"users": [{"email": email}]})
        return email

    cases = {"existing user": lambda: existing, "new user": newcomer}
    samples = _rounds(
        {case: (lambda email_for=email_for: _timed(wsgi, emulator, email_for())) for case, email_for in cases.items()},
        runs,
        reduce=list,
    )
    result = {}
    for case, email_for in cases.items():
        counts = [_counted(wsgi, emulator, email_for()) for _ in range(3)]
        times = sorted(samples[case])
        result[case] = {
            "server_ms": statistics.median(times),
            "p10_ms": times[len(times) // 10],
            "p90_ms": times[len(times) * 9 // 10],
            "samples": len(times),
            "workos_calls": max(c for c, _ in counts),
            "queries": max(q for _, q in counts),
        }
    return result


def database_latency(samples=200):
    """What one round trip and one commit cost on this machine's database (ms, medians): the floor
    under every request that writes, printed beside the callback for context."""
    from django.db import transaction

    def timed(work):
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            work()
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    def select_one():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    def write_and_commit():
        with transaction.atomic():
            User.objects.filter(email="bench-existing@example.com").update(last_login=timezone.now())

    connection.ensure_connection()
    return {"round_trip_ms": timed(select_one), "write_and_commit_ms": timed(write_and_commit)}


def password(samples=40):
    """Password sign-in time for the three answers an attacker could tell apart: medians of
    `samples` interleaved requests each."""
    user, _ = User.objects.get_or_create(email="bench-password@example.com")
    user.set_password("bench-password-123")
    user.save()
    client = Client(HTTP_HOST="127.0.0.1")
    cases = {
        "right password": ("bench-password@example.com", "bench-password-123", 200),
        "wrong password": ("bench-password@example.com", "wrong-password-123", 401),
        "unknown email": ("nobody-here@example.com", "bench-password-123", 401),
    }

    def attempt(email, secret, status):
        def run():
            started = time.perf_counter()
            response = client.post("/api/token/", {"email": email, "password": secret}, content_type="application/json")
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == status, response.content
            return elapsed

        return run

    for case in cases.values():
        attempt(*case)()  # warm up
    medians = _rounds({name: attempt(*case) for name, case in cases.items()}, samples)
    medians["spread_pct"] = (max(medians.values()) / min(medians.values()) - 1) * 100
    medians["samples"] = samples
    return medians


def jwks(emulator_url):
    fake = FakeOIDC()
    out = {}
    try:
        with override_settings(
            GOOGLE_CLIENT_ID="fake-client",
            GOOGLE_CLIENT_SECRET="x",
            GOOGLE_DISCOVERY_URL=f"{fake.url}/.well-known/openid-configuration",
            GOOGLE_ALLOWED_REDIRECT_URIS=["http://x"],
        ):
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
    with override_settings(
        CONNECT_ISSUER=emulator_url, CONNECT_JWKS_URL=f"{emulator_url}/oauth2/jwks", CONNECT_AUDIENCE="client_bench"
    ):
        auth = ConnectTokenAuthentication()
        for _ in range(1000):
            request = factory.get("/api/connect/me", HTTP_AUTHORIZATION=f"Bearer {token}")
            assert auth.authenticate(request)[0] == user
    out["Connect access tokens"] = len([e for e in emulator.log() if e["path"] == "/oauth2/jwks"])
    return out


def _connect_token(emulator_url):
    emulator = Emulator(emulator_url)
    emulator.post(
        "seed",
        {
            "oauth_applications": [
                {"client_id": "client_bench", "client_secret": "s", "redirect_uris": ["http://127.0.0.1:9/cb"]}
            ],
            "settings": {"connect_login_uri": "http://127.0.0.1:9/connect/login", "auto_login": "bench@example.com"},
        },
    )
    user, _ = User.objects.get_or_create(email="bench-connect@example.com")
    start = requests.get(
        f"{emulator_url}/oauth2/authorize",
        params={"client_id": "client_bench", "redirect_uri": "http://127.0.0.1:9/cb"},
        allow_redirects=False,
        timeout=5,
    )
    ext_id = parse_qs(urlsplit(start.headers["Location"]).query)["external_auth_id"][0]
    consent = requests.get(service.complete(ext_id, user), allow_redirects=False, timeout=5)
    code = parse_qs(urlsplit(consent.headers["Location"]).query)["code"][0]
    token = requests.post(
        f"{emulator_url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": "client_bench",
            "client_secret": "s",
            "code": code,
            "redirect_uri": "http://127.0.0.1:9/cb",
        },
        timeout=5,
    ).json()["access_token"]
    return token, user


def sync(emulator, sizes):
    """The SSO sync against the emulator at two sizes: time, WorkOS requests and queries per
    1,000 connections should not grow with the count. Each size mirrors every connection anew
    (the bench organization's rows from earlier measurements are removed first)."""
    emulator.post("seed", {"organizations": [{"id": "org_01BENCHSYNC0000000000000", "name": "Bench"}]})
    seeded, out = 0, []
    for count in sizes:
        for start in range(seeded, count, 2000):
            emulator.post(
                "seed",
                {
                    "connections": [
                        {
                            "name": f"Bench {i:05}",
                            "organization": "org_01BENCHSYNC0000000000000",
                            "domains": [f"b{i}.test"],
                        }
                        for i in range(start, min(count, start + 2000))
                    ]
                },
            )
        seeded = count
        Connection.objects.filter(name__startswith="Bench ").delete()
        emulator.clear_log()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            report = sync_all()
            seconds = time.perf_counter() - started
        log = emulator.log()
        out.append(
            {
                "connections": count,
                "seconds": seconds,
                "workos_requests": len(log),
                "queries": data_queries(captured),
                "created": report.connections.created,
            }
        )
    return out


def run(emulator_url, many, sync_sizes):
    import gc

    # what startup made stays out of the collector's sight, as config/wsgi.py does for a worker
    gc.collect()
    gc.freeze()
    emulator = Emulator(emulator_url)
    with override_settings(DEBUG=False):
        return {
            "me_queries": queries_per_me(many[0]),
            "decomposition_us": decomposition(many),
            "verification_us": verification(many),
            "callback": callback(emulator),
            "database_ms": database_latency(),
            "password_ms": password(),
            "jwks": jwks(emulator_url),
            "sync": sync(emulator, sync_sizes),
        }
