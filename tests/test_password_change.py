"""Changing the password, signed in: checked where it is held (Django or WorkOS), every sign-in of
the person ends, and support staff signed in as them cannot do it."""

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEvent, AuthSession, User

pytestmark = pytest.mark.django_db

NEW = "a-new-Passphrase-2026"


def signed_in(pair):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.get('access_token') or pair['access']}")
    return client


def change(client, current, new=NEW):
    return client.post("/api/auth/password", {"current_password": current, "new_password": new}, format="json")


def test_a_django_password_changes_and_every_sign_in_ends():
    User.objects.create_user("dee@example.com", "old-Passphrase-1")
    first = (
        APIClient()
        .post("/api/token/", {"email": "dee@example.com", "password": "old-Passphrase-1"}, format="json")
        .json()
    )
    other = (
        APIClient()
        .post("/api/token/", {"email": "dee@example.com", "password": "old-Passphrase-1"}, format="json")
        .json()
    )
    client = signed_in(first)
    wrong = change(client, "not-it")
    assert (wrong.status_code, wrong.json()["code"]) == (400, "invalid_credentials")
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.PASSWORD_CHANGE_REFUSED).count() == 1
    weak = change(client, "old-Passphrase-1", new="12345678")
    assert (weak.status_code, weak.json()["code"]) == (400, "password_too_weak")
    assert User.objects.get().check_password("old-Passphrase-1")  # nothing changed yet

    done = change(client, "old-Passphrase-1")
    assert done.status_code == 200 and done.json() == {"ended": 2}
    assert set(AuthSession.objects.values_list("revoked_reason", flat=True)) == {"password_changed"}
    for pair in (first, other):
        refused = APIClient().post("/api/token/refresh/", {"refresh": pair["refresh"]}, format="json")
        assert refused.status_code == 401
    assert (
        APIClient().post("/api/token/", {"email": "dee@example.com", "password": NEW}, format="json").status_code == 200
    )
    assert AuditEvent.objects.get(kind=AuditEvent.Kind.PASSWORD_CHANGED).details["ended"] == 2


def test_a_workos_password_is_checked_and_set_at_workos(wos, settings):
    settings.GATEHOUSE_PASSWORD_BACKEND = "workos"
    person = wos.add_user("wes@example.com", password="wes-Passphrase-1")
    pair = APIClient().post("/api/auth/workos/callback", {"code": wos.code("wes@example.com")}, format="json").json()
    client = signed_in(pair)
    assert change(client, "not-it").json()["code"] == "invalid_credentials"
    done = change(client, "wes-Passphrase-1")
    assert done.status_code == 200, done.content
    assert wos.store.users[person["id"]]["_password"] == NEW
    # the sign-in here and at WorkOS ended, and so did the session the check opened at WorkOS
    assert AuthSession.objects.get().revoked_reason == "password_changed"
    assert {s["status"] for s in wos.store.sessions.values()} == {"revoked"}
    again = APIClient().post("/api/auth/login", {"email": "wes@example.com", "password": NEW}, format="json")
    assert again.status_code == 200, again.content


def test_support_staff_signed_in_as_the_person_cannot_change_it(wos):
    wos.add_user("boss@acme.test", password="boss-Passphrase-1")
    code = wos.code("boss@acme.test", impersonator={"email": "help@vendor.test", "reason": "ticket 7"})
    client = signed_in(APIClient().post("/api/auth/workos/callback", {"code": code}, format="json").json())
    refused = change(client, "boss-Passphrase-1")
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden_while_impersonating")
    assert wos.store.users[next(iter(wos.store.users))]["_password"] == "boss-Passphrase-1"
    assert AuthSession.objects.get().revoked_at is None


def test_an_account_without_a_password_here_is_told_so_and_anonymous_callers_are_refused():
    from accounts.signin.flow import start_token_session

    user = User.objects.create_user("sso@example.com")
    pair = start_token_session(user, method="sso")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access}")
    refused = change(client, "anything")
    assert (refused.status_code, refused.json()["code"]) == (400, "password_unavailable")
    assert change(APIClient(), "x").status_code == 401


def test_a_browser_changes_the_password_and_is_signed_out(client):
    User.objects.create_user("bea@example.com", "old-Passphrase-1")
    assert client.login(username="bea@example.com", password="old-Passphrase-1")
    page = client.get("/account/password")
    assert page.status_code == 200 and b"Change your password" in page.content
    differ = client.post(
        "/account/password",
        {"current_password": "old-Passphrase-1", "new_password": NEW, "new_password_again": NEW + "x"},
    )
    assert differ.status_code == 400 and b"The two new passwords differ." in differ.content
    wrong = client.post(
        "/account/password", {"current_password": "nope", "new_password": NEW, "new_password_again": NEW}
    )
    assert wrong.status_code == 400 and b"The current password is not right." in wrong.content
    huge = "x" * 5000
    too_long = client.post(
        "/account/password", {"current_password": huge, "new_password": huge, "new_password_again": huge}
    )
    assert too_long.status_code == 400 and b"Use at most 1000 characters." in too_long.content
    done = client.post(
        "/account/password",
        {"current_password": "old-Passphrase-1", "new_password": NEW, "new_password_again": NEW},
        follow=True,
    )
    assert b"Your password changed. Sign in with the new one." in done.content
    assert done.redirect_chain[-1][0].startswith("/auth/login")
    assert client.get("/account/password").status_code == 302  # signed out
    assert User.objects.get().check_password(NEW)
