"""Settings parsing, the user model's constraints, the API's error shape, schema, health, checks."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction

from accounts.models import Identity, User
from config import env

ROOT = Path(__file__).resolve().parent.parent


# --- settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected", [("true", True), ("1", True), ("YES", True), ("off", False), ("0", False), ("", False)]
)
def test_env_bool_parses(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env.env_bool("X_FLAG") is expected


def test_env_bool_rejects_garbage_naming_the_variable(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG.*'maybe'"):
        env.env_bool("X_FLAG")


@pytest.mark.parametrize("raw, seconds", [("300", 300), ("45s", 45), ("5m", 300), ("12h", 43200), ("7d", 604800)])
def test_env_duration_units(monkeypatch, raw, seconds):
    monkeypatch.setenv("X_LIFETIME", raw)
    assert env.env_duration("X_LIFETIME", timedelta(1)) == timedelta(seconds=seconds)


@pytest.mark.parametrize("raw", ["5 minutes", "-3", "0", "m", "3w"])
def test_env_duration_rejects_bad_values(monkeypatch, raw):
    monkeypatch.setenv("X_LIFETIME", raw)
    with pytest.raises(ImproperlyConfigured, match="X_LIFETIME"):
        env.env_duration("X_LIFETIME", timedelta(1))


def test_env_int_and_url_and_list(monkeypatch):
    monkeypatch.setenv("X_INT", "abc")
    with pytest.raises(ImproperlyConfigured, match="X_INT must be an integer"):
        env.env_int("X_INT", 1)
    monkeypatch.setenv("X_URL", "ftp://nope")
    with pytest.raises(ImproperlyConfigured, match="X_URL"):
        env.env_url("X_URL")
    monkeypatch.setenv("X_LIST", " a.com, ,b.com ")
    assert env.env_list("X_LIST") == ["a.com", "b.com"]


def _load_settings(**overrides):
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("WORKOS_", "SECRET_KEY", "DEBUG", "DATABASE_URL"))
    }
    environment.update(overrides)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup(); "
            "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_secret_key():
    result = _load_settings(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_bad_setting_value_is_a_clear_error():
    result = _load_settings(DEBUG="true", JWT_ACCESS_LIFETIME="five minutes")
    assert result.returncode != 0
    assert "JWT_ACCESS_LIFETIME must be a positive duration" in result.stderr


def test_database_url_selects_postgres_and_defaults_to_sqlite():
    assert "sqlite3" in _load_settings(DEBUG="true").stdout
    assert "postgresql" in _load_settings(DEBUG="true", DATABASE_URL="postgres://u@127.0.0.1:5432/x").stdout
    bad = _load_settings(DEBUG="true", DATABASE_URL="nosuchdb://x")
    assert bad.returncode != 0 and "DATABASE_URL" in bad.stderr


@pytest.mark.real_hashers
def test_argon2_is_the_first_password_hasher(settings):
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    user = User(email="h@example.com")
    user.set_password("a long password")
    assert user.password.startswith("argon2")


# --- user model --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_email_is_stored_normalized():
    user = User.objects.create_user("  Mixed.Case@Example.COM ", "pw-123456789")
    user.refresh_from_db()
    assert user.email == "mixed.case@example.com"
    assert User.objects.get_by_natural_key("MIXED.case@example.com") == user


@pytest.mark.django_db
def test_email_uniqueness_is_case_insensitive_in_the_database():
    User.objects.create_user("ann@example.com")
    # Bypass the model's normalisation: the database constraint itself must refuse it.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="ANN@example.com", password="!")])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (email, password, first_name, last_name, organization_id, role, "
            "is_active, is_staff, is_superuser, date_joined, updated_at) "
            "VALUES ('Ann@Example.com', '!', '', '', '', '', true, false, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )


@pytest.mark.django_db
def test_workos_user_id_unique_but_nullable():
    User.objects.create_user("a@example.com")
    User.objects.create_user("b@example.com")  # two NULL workos ids are fine
    User.objects.create_user("c@example.com", workos_user_id="user_1")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("d@example.com", workos_user_id="user_1")


@pytest.mark.django_db
def test_identity_provider_subject_unique():
    user = User.objects.create_user("a@example.com")
    Identity.objects.create(user=user, provider="google", subject="123")
    Identity.objects.create(user=user, provider="okta", subject="123")
    with pytest.raises(IntegrityError), transaction.atomic():
        Identity.objects.create(user=user, provider="google", subject="123")


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


@pytest.mark.django_db
def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_home_page_renders(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Sign in" in response.content


# --- system checks -----------------------------------------------------------------------------


def _check_ids():
    return {message.id for message in run_checks()}


def test_checks_clean_by_default(settings):
    settings.DEBUG = True
    assert not [m for m in run_checks() if m.id.startswith("gatehouse")]


def test_check_api_key_without_client_id(settings):
    settings.WORKOS_CLIENT_ID = ""
    assert "gatehouse.E002" in _check_ids()


def test_check_non_https_redirect_in_production(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "x" * 10 + "a-real-long-random-production-secret-value-123456"
    settings.WORKOS_REDIRECT_URI = "http://example.com/auth/callback"
    ids = _check_ids()
    assert "gatehouse.E005" in ids
    assert "gatehouse.E001" not in ids


def test_check_default_secret_in_production(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "django-insecure-abc"
    assert "gatehouse.E001" in _check_ids()


def test_check_unimportable_adapter(settings):
    settings.GATEHOUSE_PROVISIONING_ADAPTER = "nowhere.Adapter"
    assert "gatehouse.E020" in _check_ids()


def _manage(*args, **overrides):
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            (
                "WORKOS_",
                "SECRET_KEY",
                "DEBUG",
                "DATABASE_URL",
                "ALLOWED_HOSTS",
                "JWT_",
                "SECURE_",
                "DJANGO_ALLOW_ASYNC_UNSAFE",
            )
        )
    }
    environment.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k" + "".join(chr(65 + (i * 7) % 26) + str(i % 10) for i in range(40)),
    "ALLOWED_HOSTS": "gatehouse.example.com",
}


def test_deploy_check_is_clean_with_production_defaults():
    result = _manage("check", "--deploy", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout, result.stdout + result.stderr
    assert "WARNING" not in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _manage("check", **{k: v for k, v in PRODUCTION.items() if k != "ALLOWED_HOSTS"})
    assert result.returncode != 0 and "ALLOWED_HOSTS is not set" in result.stderr


@pytest.mark.parametrize("key", ["secret", "short-but-not-32-chars", "a" * 64])
def test_weak_jwt_signing_key_is_an_error(settings, key):
    from accounts.checks import check_secret_key

    settings.DEBUG = False
    settings.SECRET_KEY = PRODUCTION["SECRET_KEY"]
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": key}
    assert [e.id for e in check_secret_key()] == ["gatehouse.E007"]
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": PRODUCTION["SECRET_KEY"][::-1]}
    assert check_secret_key() == []


def test_https_redirect_and_hsts_can_be_turned_off_behind_a_proxy():
    code = "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS)"
    on = _manage("shell", "-v", "0", "-c", code, **PRODUCTION)
    off = _manage("shell", "-v", "0", "-c", code, SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0", **PRODUCTION)
    assert on.stdout.split() == ["True", "31536000"], on.stderr
    assert off.stdout.split() == ["False", "0"], off.stderr


# --- app settings: defaults inside the apps ---------------------------------------------------


@pytest.mark.django_db
def test_throttles_work_in_a_project_that_sets_no_rates(settings):
    from rest_framework.test import APIClient

    del settings.GATEHOUSE_RATE_LIMITS  # a project that only added the app
    api = APIClient()
    for _ in range(5):  # the default: 5 a minute per account
        assert api.post("/api/token/", {"email": "d@example.com", "password": "x"}, format="json").status_code == 401
    assert api.post("/api/token/", {"email": "d@example.com", "password": "x"}, format="json").status_code == 429


def test_a_projects_rates_are_merged_over_the_defaults(settings):
    from accounts.conf import app_settings

    settings.GATEHOUSE_RATE_LIMITS = {"password_ip": "3/m", "sign_in_ip": None}
    assert app_settings.GATEHOUSE_RATE_LIMITS == {
        "password_ip": "3/m",
        "password_account": "5/m",
        "authorize_ip": "60/m",
        "sign_in_ip": None,
        "email_send": "5/10m",
    }


def test_connect_and_workos_settings_have_defaults(settings):
    from sso.conf import app_settings
    from standalone_connect.conf import app_settings as connect_settings

    del settings.CONNECT_LOGIN_PATH, settings.WORKOS_DASHBOARD_URL
    assert connect_settings.CONNECT_LOGIN_PATH == "connect/login"
    assert app_settings.WORKOS_DASHBOARD_URL == "https://dashboard.workos.com"
    with pytest.raises(AttributeError):
        _ = app_settings.NOT_A_SETTING


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
    from accounts.models import User

    User.objects.create_user("pat@example.com", password="pw-pat-12345")
    agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"
    client.post("/auth/login", {"email": "pat@example.com", "password": "pw-pat-12345"}, HTTP_USER_AGENT=agent)
    assert "Firefox on Windows" in client.get("/account/sessions").content.decode()


def test_the_api_docs_list_every_error_code_the_apps_raise():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    readme = root.joinpath("docs", "api.md").read_text()
    raised = {
        code
        for app in ("accounts", "sso", "directory", "standalone_connect", "workos_integration")
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


def test_the_shipped_server_configuration_keeps_connections_alive(tmp_path):
    """gunicorn with gunicorn.conf.py answers two requests over one connection."""
    import http.client
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from tests.conftest import free_port

    root = Path(__file__).resolve().parent.parent
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.connect()
                break
            except OSError:
                time.sleep(0.1)
        answers = []
        for _ in range(3):
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
            # the client's own address: a connection the server closed would be reopened from a new port
            answers.append((response.status, conn.sock.getsockname() if conn.sock else None))
        assert [status for status, _ in answers] == [200, 200, 200]
        assert answers[0][1] is not None and len({address for _, address in answers}) == 1, answers
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.django_db
def test_the_me_fast_path_renders_what_the_documented_serializer_renders(api):
    from accounts.api.serializers import UserSerializer
    from accounts.api.views import me_body
    from accounts.signin import flow
    from accounts.tokens import TokenUser
    from accounts.tokens import verify_access as decode_access_token

    user = User.objects.create_user("fast@example.com", first_name="Ada", last_name="Byron")
    for org, role in (("", ""), ("org_1", "admin")):
        pair = flow.start_token_session(user, method="password", organization_id=org, role=role)
        token_user = TokenUser(decode_access_token(pair.access))
        answered = api.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {pair.access}").json()
        assert answered == me_body(token_user) == UserSerializer().to_representation(token_user)
        assert (answered["organization_id"], answered["role"]) == (org or None, role or None)


def test_flat_serializers_bind_their_own_copies_and_refuse_nested_fields():
    from rest_framework import serializers

    from accounts.api.serializers import CallbackSerializer, FlatSerializer

    first, second = CallbackSerializer(data={"code": "a" * 2001}), CallbackSerializer(data={"code": "b"})
    assert not first.is_valid() and "code" in first.errors
    assert second.is_valid() and second.validated_data == {"code": "b"}
    assert first.fields["code"] is not second.fields["code"] and first.fields["code"].parent is first
    assert CallbackSerializer._declared_fields["code"].parent is None  # the declared field stays unbound
    with pytest.raises(TypeError, match="tags"):
        type("Nested", (FlatSerializer,), {"tags": serializers.ListField(child=serializers.CharField())})


@pytest.mark.django_db
def test_rows_a_statement_returns_read_as_the_orm_reads_them():
    from django.db import connection
    from django.utils import timezone

    from accounts.models import SignInState, User, returned, returning
    from accounts.signin import state as signin_state

    User.objects.create_user(
        "ret@example.com", first_name="Ré", workos_user_id="user_ret", last_login=timezone.now(), is_staff=True
    )
    signin_state.create(
        flow=SignInState.Flow.PENDING,
        next_url="/n",
        step="mfa_challenge",
        attempts=2,
        factors=[{"id": "f", "type": "totp"}, None],
    )
    quote = connection.ops.quote_name
    for model in (User, SignInState):
        pk = quote(model._meta.pk.column)
        sql = f"UPDATE {quote(model._meta.db_table)} SET {pk} = {pk} {returning(model)}"
        (got,) = returned(model, sql, [])
        want = model.objects.get(pk=got.pk)
        for field in model._meta.concrete_fields:
            assert getattr(got, field.attname) == getattr(want, field.attname), field.name
        assert not got._state.adding and got._state.db == "default"
    assert (
        returned(
            User,
            f"DELETE FROM {quote(User._meta.db_table)} WHERE {quote('email')} = %s {returning(User)}",
            ["nobody@example.com"],
        )
        == []
    )
