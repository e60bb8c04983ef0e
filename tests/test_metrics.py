"""/metrics: Prometheus's view of sign-ins, refusals, throttles and WorkOS calls, closed to
anyone without the token or an allowed address."""

import pytest
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from accounts.models import User

pytestmark = pytest.mark.django_db


def scrape(client, token="scrape-me"):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_closed_unless_configured(client, settings):
    assert client.get("/metrics").status_code == 404
    settings.METRICS_TOKEN = "scrape-me"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").status_code == 200
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["127.0.0.0/8"]
    assert client.get("/metrics").status_code == 200


def test_nothing_is_counted_while_nobody_may_scrape(client, settings):
    User.objects.create_user("pat@example.com", "pw-pat-12345")
    settings.METRICS_TOKEN = "scrape-me"
    before = value(scrape(client), "gatehouse_sign_ins_total", method="password", outcome="succeeded", reason="")
    settings.METRICS_TOKEN = ""
    api = APIClient()
    assert (
        api.post("/api/token/", {"email": "pat@example.com", "password": "pw-pat-12345"}, format="json").status_code
        == 200
    )
    settings.METRICS_TOKEN = "scrape-me"
    after = value(scrape(client), "gatehouse_sign_ins_total", method="password", outcome="succeeded", reason="")
    assert after == before
    assert (
        api.post("/api/token/", {"email": "pat@example.com", "password": "pw-pat-12345"}, format="json").status_code
        == 200
    )
    counted = value(scrape(client), "gatehouse_sign_ins_total", method="password", outcome="succeeded", reason="")
    assert counted == before + 1


def test_sign_ins_refusals_throttles_and_workos_errors_are_counted(client, settings, wos):
    settings.METRICS_TOKEN = "scrape-me"
    settings.GATEHOUSE_RATE_LIMITS = {"password_account": "2/m"}
    User.objects.create_user("pat@example.com", "pw-pat-12345")
    before = scrape(client)
    api = APIClient()
    assert (
        api.post("/api/token/", {"email": "pat@example.com", "password": "pw-pat-12345"}, format="json").status_code
        == 200
    )
    assert api.post("/api/token/", {"email": "pat@example.com", "password": "x"}, format="json").status_code == 401
    assert api.post("/api/token/", {"email": "pat@example.com", "password": "x"}, format="json").status_code == 429
    wos.inject("/user_management/authenticate", status=500)
    assert api.post("/api/auth/workos/callback", {"code": "c"}, format="json").status_code in (502, 503)
    assert api.get("/api/auth/me", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    after = scrape(client)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("gatehouse_sign_ins_total", method="password", outcome="succeeded", reason="") == 1
    assert grew("gatehouse_sign_ins_total", method="password", outcome="refused", reason="invalid_credentials") == 1
    assert grew("gatehouse_throttled_total", scope="password_account") >= 1
    assert grew("gatehouse_workos_calls_total", operation="exchange the AuthKit code", status="500") == 1
    assert grew("gatehouse_token_refusals_total", code="token_invalid") == 1
    assert value(after, "gatehouse_open_sign_ins") >= 1


def test_syncs_are_counted_with_their_rows_and_duration(client, settings, wos):
    from sso import sync

    settings.METRICS_TOKEN = "scrape-me"
    wos.seed(organizations=[{"id": "org_M1", "name": "M One"}, {"id": "org_M2", "name": "M Two"}])
    before = scrape(client)
    sync.sync_all()
    wos.inject("/organizations", status=500, times=5)
    with pytest.raises(Exception, match="WorkOS"):
        sync.sync_all()
    after = scrape(client)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    kind = "organizations_and_connections"
    assert grew("gatehouse_syncs_total", kind=kind, outcome="ok") == 1
    assert grew("gatehouse_syncs_total", kind=kind, outcome="failed") == 1
    assert grew("gatehouse_sync_seconds_count", kind=kind) == 2
    assert grew("gatehouse_sync_rows_total", object="organizations", change="created") == 2
