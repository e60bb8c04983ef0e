"""The API's error shape, the schema, health, the pages, and the documented error codes."""

import contextlib
import io
import json
import logging
from pathlib import Path

import pytest
from django.db import OperationalError, connection

from accounts.models import User
from config.logging import JSONFormatter, RequestIDFilter

ROOT = Path(__file__).resolve().parent.parent


# --- error shape, schema, health ---------------------------------------------------------------


@pytest.mark.django_db
def test_api_400_has_code_message_and_field_detail(api):
    response = api.post("/api/token/", {"email": "x@example.com"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["message"]
    assert "password" in body["detail"]


@pytest.mark.django_db
def test_api_401_shape(api):
    response = api.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_api_404_is_json(client):
    response = client.get("/api/does-not-exist")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "There is nothing at this address."}


@pytest.mark.django_db
def test_api_405_is_json(api):
    response = api.get("/api/token/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_api_malformed_json_is_a_400(api):
    response = api.post("/api/token/", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.django_db
def test_html_404_is_a_page(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_schema_lists_the_auth_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/auth/workos/callback",
        "/api/token/",
        "/api/token/refresh/",
        "/api/auth/logout/",
        "/api/auth/me",
    ):
        assert path in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn.jsdelivr" not in docs.content and b"drf_spectacular_sidecar/swagger-ui-dist" in docs.content


def test_healthz_is_alive_without_asking_anything(client):
    # no django_db mark: a query would raise instead of answering
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_names_what_is_not_ready_and_recovers(client, wos):
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.content
    assert ready.json() == {"status": "ready", "database": "ok", "cache": "ok", "migrations": "ok", "workos": "ok"}

    def refuse(execute, sql, params, many, context):
        raise OperationalError("the database went away")

    with connection.execute_wrapper(refuse):
        down = client.get("/readyz")
    assert down.status_code == 503
    assert down.json()["status"] == "unready" and down.json()["database"] == "unavailable: OperationalError"
    assert client.get("/readyz").status_code == 200  # back without a restart


def test_every_response_carries_a_request_id_and_a_trusted_proxy_may_give_it(client, settings):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]
    assert client.get("/healthz", HTTP_X_REQUEST_ID="from-the-client")["X-Request-ID"] != "from-the-client"
    settings.GATEHOUSE_TRUSTED_PROXY_COUNT = 1
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-123")["X-Request-ID"] == "lb-123"


@contextlib.contextmanager
def json_log_lines(logger_name):
    """What `logger_name` logs meanwhile, as LOG_FORMAT=json writes it: one dict per line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    handler.addFilter(RequestIDFilter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    lines = []
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())


@pytest.mark.django_db
def test_json_logs_carry_the_request_id_and_the_sign_in_outcome(client, settings):
    User.objects.create_user("pat@example.com", "pw-pat-12345")
    with json_log_lines("gatehouse.audit") as lines:
        ok = client.post("/api/token/", {"email": "pat@example.com", "password": "pw-pat-12345"}, "application/json")
        wrong = client.post("/api/token/", {"email": "pat@example.com", "password": "x"}, "application/json")
    succeeded = next(line for line in lines if line["event"] == "sign_in_succeeded")
    refused = next(line for line in lines if line["event"] == "sign_in_failed")
    assert succeeded["request_id"] == ok["X-Request-ID"] and succeeded["outcome"] == "succeeded"
    assert succeeded["user_id"] and succeeded["method"] == "password"
    assert refused["request_id"] == wrong["X-Request-ID"] and refused["outcome"] == "refused"
    assert refused["reason"] == "invalid_credentials" and {"time", "level"} <= set(refused)


@pytest.mark.django_db
def test_home_page_renders(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Sign in" in response.content


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("gatehouse/favicon.svg")


@pytest.mark.parametrize(
    "agent, said",
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            "Chrome on Linux",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.0 Mobile/15E148 Safari/604.1",
            "Mobile Safari on iOS",
        ),
        ("gatehouse-cli/1.0", "gatehouse-cli/1.0"),
        ("", ""),
    ],
)
def test_devices_are_named_as_people_say_them(agent, said):
    from accounts.client import describe_device

    assert describe_device(agent) == said


@pytest.mark.django_db
def test_my_sign_ins_names_the_device(client):

    User.objects.create_user("pat@example.com", password="pw-pat-12345")
    agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"
    client.post("/auth/login", {"email": "pat@example.com", "password": "pw-pat-12345"}, HTTP_USER_AGENT=agent)
    assert "Firefox on Windows" in client.get("/account/sessions").content.decode()


def test_the_api_docs_list_every_error_code_the_apps_raise():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    readme = "".join(page.read_text() for page in sorted(root.joinpath("docs").glob("*.md")))
    raised = {
        code
        for app in ("accounts", "sso", "directory", "organizations", "standalone_connect", "workos_integration")
        for source in root.joinpath(app).rglob("*.py")
        for code in re.findall(r'code="([a-z_]+)"', source.read_text())
    }
    assert raised, "found no error codes: the pattern is out of date"
    assert sorted(code for code in raised if f"`{code}`" not in readme) == []


@pytest.mark.django_db
def test_the_home_pages_schema_link_opens_json_a_browser_shows(client):
    response = client.get("/api/schema.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response.json()["info"]["title"] == "Gatehouse API"
    assert b"/api/schema.json" in client.get("/").content


@pytest.mark.django_db
def test_json_logs_name_workos_request_id_of_every_workos_call(client, wos):
    wos.add_user("kim@example.com")
    with json_log_lines("workos_integration.client") as calls:
        signed_in = client.post("/api/auth/workos/callback", {"code": wos.code("kim@example.com")}, "application/json")
        refused = client.post("/api/auth/workos/callback", {"code": "spent-or-wrong"}, "application/json")
    exchange = [c for c in calls if c["event"] == "workos_call" and "AuthKit code" in c["message"]]
    assert [c["request_id"] for c in exchange] == [signed_in["X-Request-ID"], refused["X-Request-ID"]]
    assert exchange[0]["outcome"] == "ok" and exchange[1]["outcome"] == "400"
    assert len({c["workos_request_id"] for c in exchange}) == 2  # WorkOS's X-Request-ID of each answer
    assert all(len(c["workos_request_id"]) == 36 for c in exchange)


@pytest.mark.django_db
def test_readiness_probes_are_counted_per_address(client, settings):
    settings.GATEHOUSE_RATE_LIMITS = {"readiness_ip": "2/m"}
    assert [client.get("/readyz").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/readyz")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) >= 1
