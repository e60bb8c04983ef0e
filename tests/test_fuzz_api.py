"""Property-based fuzzing of our own JSON API against our own OpenAPI schema (schemathesis).

Fixed seed, bounded examples: every response must be non-5xx and match the schema we publish
(status codes, content type, body).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Calling the WSGI app directly fires request_finished, which would close the test's
    database connection; Django's own test client disconnects that handler the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=30, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, wos):
    case.call_and_validate(checks=CHECKS)


def _documented(path, method):
    from django.test import Client

    spec = Client().get("/api/schema/?format=json").json()
    return set(spec["paths"][path][method]["responses"])


@pytest.mark.django_db
def test_statuses_fuzzing_found_undocumented_are_documented(api, wos, settings):
    """Throttled refresh and verify, malformed logout and revoke-all: each answer's status is one
    the schema lists for its operation."""
    settings.GATEHOUSE_RATE_LIMITS = {**settings.GATEHOUSE_RATE_LIMITS, "sign_in_ip": "1/m"}
    for path in ("/api/token/refresh/", "/api/token/verify/"):
        statuses = {api.post(path, {"refresh": "x", "token": "x"}, format="json").status_code for _ in range(2)}
        assert 429 in statuses and statuses <= {int(s) for s in _documented(path, "post")}, path
    wos.add_user("fuzz@example.com")
    settings.GATEHOUSE_RATE_LIMITS = {**settings.GATEHOUSE_RATE_LIMITS, "sign_in_ip": "100/m"}
    access = api.post("/api/auth/workos/callback", {"code": wos.code("fuzz@example.com")}, format="json").json()[
        "access_token"
    ]
    for path in ("/api/auth/sessions/revoke-all/", "/api/auth/logout/"):
        response = api.post(path, "{not json", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {access}")
        assert response.status_code == 400 and str(response.status_code) in _documented(path, "post"), path
