"""What a person meets while a part is down: the shared cache (Redis) gone leaves sign-ins and
refreshes working with per-process throttles; a database that stops answering is a 503
`database_unavailable` with nothing half-written; a refresh whose answer was lost is retried
without signing anyone out (tests/test_workos_signin.py covers the grace window itself)."""

import logging
import time

import pytest
import time_machine
from django.db import OperationalError, connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import AuditEvent, AuthSession, User

pytestmark = pytest.mark.django_db

# A Redis nobody listens on: every call fails at once, as when Redis is stopped.
REDIS_DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


def test_with_the_shared_cache_down_people_sign_in_and_refresh_and_guessing_is_still_limited(settings, wos, caplog):
    User.objects.create_user("pat@example.com", "pw-pat-12345")
    settings.CACHES = REDIS_DOWN
    settings.GATEHOUSE_RATE_LIMITS = {"password_ip": "3/m", "password_account": None}
    api = APIClient()
    with caplog.at_level(logging.WARNING, logger="accounts.sharedcache"):
        pair = api.post("/api/token/", {"email": "pat@example.com", "password": "pw-pat-12345"}, format="json")
        assert pair.status_code == 200, pair.content
        refreshed = api.post("/api/token/refresh/", {"refresh": pair.json()["refresh"]}, format="json")
        assert refreshed.status_code == 200, refreshed.content
        started = api.get("/api/auth/workos/authorize", {"redirect_uri": "http://spa.test/callback"})
        assert started.status_code == 200, started.content
        assert api.get("/api/auth/me", HTTP_AUTHORIZATION="Bearer nonsense").status_code == 401
        with time_machine.travel(time.time() // 60 * 60 + 1, tick=False):  # one window for the count
            wrong = [
                api.post("/api/token/", {"email": "pat@example.com", "password": "nope"}, format="json").status_code
                for _ in range(4)
            ]
        assert wrong[0] == 401 and wrong[-1] == 429  # 3 a minute, counted in this process
    assert "shared cache is unavailable" in caplog.text


def refuse_queries(execute, sql, params, many, context):
    raise OperationalError("server closed the connection unexpectedly")


def test_a_database_that_stops_answering_is_a_503_and_writes_nothing(wos):
    User.objects.create_user("pat@example.com", "pw-pat-12345")
    api = APIClient()
    with connection.execute_wrapper(refuse_queries):
        answer = api.post("/api/token/", {"email": "pat@example.com", "password": "pw-pat-12345"}, format="json")
    assert answer.status_code == 503 and answer["Retry-After"] == "5"
    assert answer.json()["code"] == "database_unavailable"
    assert not AuthSession.objects.exists() and not AuditEvent.objects.exists()
    # and it comes back without a restart
    again = api.post("/api/token/", {"email": "pat@example.com", "password": "pw-pat-12345"}, format="json")
    assert again.status_code == 200


def test_pages_say_briefly_unavailable_when_the_database_does_not_answer(settings, wos):
    settings.DEBUG = False
    browser = Client(raise_request_exception=False)
    with connection.execute_wrapper(refuse_queries):
        page = browser.post("/auth/login", {"email": "pat@example.com", "password": "x"})
    assert page.status_code == 503 and b"Briefly unavailable" in page.content and page["Retry-After"] == "5"
