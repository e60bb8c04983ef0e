"""Settings: the environment readers, how config/settings.py reads them, system checks, and each
app's defaults."""

import os
import runpy
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from accounts.models import User
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


def _settings_with(monkeypatch, **environment):
    """config/settings.py evaluated afresh, in this process, with only `environment` of the
    variables it reads: its settings as a dict, or the error it raises."""
    for name in list(os.environ):
        if name.startswith(("WORKOS_", "SECRET_KEY", "DEBUG", "DATABASE_URL", "ALLOWED_HOSTS", "JWT_", "SECURE_")):
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "config" / "settings.py"))


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is not set"):
        _settings_with(monkeypatch, DEBUG="false")


def test_bad_setting_value_is_a_clear_error(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="JWT_ACCESS_LIFETIME must be a positive duration"):
        _settings_with(monkeypatch, DEBUG="true", JWT_ACCESS_LIFETIME="five minutes")


def test_database_url_selects_postgres_and_defaults_to_sqlite(monkeypatch):
    assert "sqlite3" in _settings_with(monkeypatch, DEBUG="true")["DATABASES"]["default"]["ENGINE"]
    postgres = _settings_with(monkeypatch, DEBUG="true", DATABASE_URL="postgres://u@127.0.0.1:5432/x")
    assert "postgresql" in postgres["DATABASES"]["default"]["ENGINE"]
    with pytest.raises(Exception, match="DATABASE_URL"):
        _settings_with(monkeypatch, DEBUG="true", DATABASE_URL="nosuchdb://x")


@pytest.mark.real_hashers
def test_argon2_is_the_first_password_hasher(settings):
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    user = User(email="h@example.com")
    user.set_password("a long password")
    assert user.password.startswith("argon2")


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


def test_production_refuses_to_start_without_allowed_hosts(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS is not set"):
        _settings_with(monkeypatch, **{k: v for k, v in PRODUCTION.items() if k != "ALLOWED_HOSTS"})


@pytest.mark.parametrize("key", ["secret", "short-but-not-32-chars", "a" * 64])
def test_weak_jwt_signing_key_is_an_error(settings, key):
    from accounts.checks import check_secret_key

    settings.DEBUG = False
    settings.SECRET_KEY = PRODUCTION["SECRET_KEY"]
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": key}
    assert [e.id for e in check_secret_key()] == ["gatehouse.E007"]
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": PRODUCTION["SECRET_KEY"][::-1]}
    assert check_secret_key() == []


def test_https_redirect_and_hsts_can_be_turned_off_behind_a_proxy(monkeypatch):
    on = _settings_with(monkeypatch, **PRODUCTION)
    off = _settings_with(monkeypatch, SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0", **PRODUCTION)
    assert (on["SECURE_SSL_REDIRECT"], on["SECURE_HSTS_SECONDS"]) == (True, 31536000)
    assert (off["SECURE_SSL_REDIRECT"], off["SECURE_HSTS_SECONDS"]) == (False, 0)


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
        "api_key_ip": "30/m",
        "organization": "120/m",
        "password_change": "5/10m",
        "readiness_ip": "600/m",
    }


def test_connect_and_workos_settings_have_defaults(settings):
    from sso.conf import app_settings
    from standalone_connect.conf import app_settings as connect_settings

    del settings.CONNECT_LOGIN_PATH, settings.WORKOS_DASHBOARD_URL
    assert connect_settings.CONNECT_LOGIN_PATH == "connect/login"
    assert app_settings.WORKOS_DASHBOARD_URL == "https://dashboard.workos.com"
    with pytest.raises(AttributeError):
        _ = app_settings.NOT_A_SETTING
