"""MFA recovery codes: made when an authenticator is set up (shown once, stored as hashes), spent
at an MFA challenge instead of the app's code (the lost authenticator is removed and a new one
set up in the same sign-in), counted, made anew, and reset by staff."""

import threading

import pytest
from django.db import close_old_connections

from accounts import mfa
from accounts.models import AuditEvent, RecoveryCode, User
from workos_emulator import totp

pytestmark = pytest.mark.django_db


def post(api, path, **body):
    return api.post(path, body, format="json")


def step(response, code):
    assert response.status_code == 403, response.content
    assert response.json()["code"] == code, response.json()
    return response.json()["detail"]


def factors_of(wos, email):
    user_id = next(u["id"] for u in wos.store.users.values() if u["email"] == email)
    return [f for f in wos.store.auth_factors.values() if f["user_id"] == user_id]


def enroll_and_finish(api, wos, pending_token):
    enrolled = post(api, "/api/auth/steps/mfa/enroll", pending_token=pending_token).json()
    code = totp.code_at(enrolled["secret"], wos.store.now())
    answer = post(api, "/api/auth/steps/mfa", pending_token=pending_token, code=code)
    assert answer.status_code == 200, answer.content
    return answer.json()


def first_sign_in(api, wos, email="lost@example.com"):
    """A person whose organization requires MFA sets up an authenticator: codes come with the pair."""
    wos.add_user(email, mfa=True)
    detail = step(post(api, "/api/auth/workos/callback", code=wos.code(email)), "mfa_enrollment")
    return enroll_and_finish(api, wos, detail["pending_token"])


def test_setting_up_an_authenticator_gives_ten_codes_shown_once_and_stored_as_hashes(api, wos):
    body = first_sign_in(api, wos)
    codes = body["recovery_codes"]
    assert len(codes) == 10 == len(set(codes))
    user = User.objects.get(email="lost@example.com")
    stored = list(RecoveryCode.objects.filter(user=user).values_list("digest", flat=True))
    assert len(stored) == 10 and not set(codes) & set(stored)
    assert not any(code.replace("-", "") in digest for code in codes for digest in stored)
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.RECOVERY_CODES_CREATED, user=user).count() == 1
    # a sign-in that sets nothing up carries none
    again = post(api, "/api/auth/workos/callback", code=wos.code("lost@example.com"))
    assert step(again, "mfa_challenge")


def test_a_recovery_code_replaces_a_lost_authenticator_in_the_same_sign_in(api, wos):
    codes = first_sign_in(api, wos)["recovery_codes"]
    old_factor = factors_of(wos, "lost@example.com")[0]["id"]
    detail = step(post(api, "/api/auth/workos/callback", code=wos.code("lost@example.com")), "mfa_challenge")

    enrollment = step(
        post(api, "/api/auth/steps/mfa", pending_token=detail["pending_token"], recovery_code=codes[0].upper()),
        "mfa_enrollment",
    )
    assert enrollment["pending_token"] == detail["pending_token"]
    assert factors_of(wos, "lost@example.com") == []  # the lost authenticator is gone in WorkOS
    body = enroll_and_finish(api, wos, detail["pending_token"])
    assert body["user"]["email"] == "lost@example.com" and len(body["recovery_codes"]) == 10
    assert not set(body["recovery_codes"]) & set(codes)
    assert [f["id"] for f in factors_of(wos, "lost@example.com")] != [old_factor]
    used = AuditEvent.objects.get(kind=AuditEvent.Kind.RECOVERY_CODE_USED)
    assert used.user.email == "lost@example.com" and used.details["authenticators_removed"] == 1

    # the old codes (spent or not) no longer work; a new one does, once
    detail = step(post(api, "/api/auth/workos/callback", code=wos.code("lost@example.com")), "mfa_challenge")
    old = post(api, "/api/auth/steps/mfa", pending_token=detail["pending_token"], recovery_code=codes[1])
    assert old.status_code == 400 and old.json()["code"] == "invalid_recovery_code"
    assert old.json()["detail"] == {"attempts_left": 4}
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.RECOVERY_CODE_REFUSED).count() == 1


def test_wrong_recovery_codes_spend_the_steps_tries(api, wos):
    first_sign_in(api, wos)
    detail = step(post(api, "/api/auth/workos/callback", code=wos.code("lost@example.com")), "mfa_challenge")
    for left in (4, 3, 2, 1):
        wrong = post(api, "/api/auth/steps/mfa", pending_token=detail["pending_token"], recovery_code="aaaaa-bbbbb")
        assert wrong.json() | {"message": ""} == {
            "code": "invalid_recovery_code",
            "message": "",
            "detail": {"attempts_left": left},
        }
    last = post(api, "/api/auth/steps/mfa", pending_token=detail["pending_token"], recovery_code="aaaaa-bbbbb")
    assert last.status_code == 400 and last.json()["code"] == "sign_in_expired"
    assert len(factors_of(wos, "lost@example.com")) == 1  # nothing removed


@pytest.mark.django_db(transaction=True)
def test_one_recovery_code_is_spent_once_under_parallel_requests(api, wos):
    codes = first_sign_in(api, wos)["recovery_codes"]
    user = User.objects.get(email="lost@example.com")
    results = []
    barrier = threading.Barrier(4)

    def spend():
        barrier.wait()
        try:
            results.append(mfa.spend_recovery_code(user, codes[3]))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for r in results if r is not None) == 1
    assert mfa.remaining_recovery_codes(user) == 9


def test_a_failed_removal_in_workos_gives_the_code_back(api, wos):
    codes = first_sign_in(api, wos)["recovery_codes"]
    detail = step(post(api, "/api/auth/workos/callback", code=wos.code("lost@example.com")), "mfa_challenge")
    wos.inject("/user_management/users/*/auth_factors", method="GET", status=500)
    failed = post(api, "/api/auth/steps/mfa", pending_token=detail["pending_token"], recovery_code=codes[0])
    assert failed.status_code in (502, 503), failed.content
    assert mfa.remaining_recovery_codes(User.objects.get(email="lost@example.com")) == 10
    again = post(api, "/api/auth/steps/mfa", pending_token=detail["pending_token"], recovery_code=codes[0])
    assert step(again, "mfa_enrollment")


def test_code_and_recovery_code_are_one_or_the_other(api, wos):
    both = post(api, "/api/auth/steps/mfa", pending_token="x", code="123456", recovery_code="aaaaa-bbbbb")
    assert both.status_code == 400 and both.json()["code"] == "validation_error"


def test_a_person_counts_and_remakes_their_codes(api, wos):
    body = first_sign_in(api, wos)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert api.get("/api/auth/recovery-codes").json() == {"remaining": 10}
    fresh = api.post("/api/auth/recovery-codes").json()["recovery_codes"]
    assert len(fresh) == 10 and not set(fresh) & set(body["recovery_codes"])
    user = User.objects.get(email="lost@example.com")
    assert mfa.spend_recovery_code(user, body["recovery_codes"][0]) is None
    assert mfa.spend_recovery_code(user, fresh[0]) is not None
    assert api.get("/api/auth/recovery-codes").json() == {"remaining": 9}
    api.credentials()
    assert api.get("/api/auth/recovery-codes").status_code == 401


def test_the_account_page_shows_how_many_are_left_and_makes_new_ones(client, wos):
    user = User.objects.create_user("page@example.com", "pw-page-12345")
    mfa.issue_recovery_codes(user)
    client.force_login(user)
    page = client.get("/account/recovery-codes")
    assert b"<strong>10</strong> unused recovery codes" in page.content
    made = client.post("/account/recovery-codes")
    assert made.status_code == 200 and len(made.context["codes"]) == 10
    assert client.get("/account/recovery-codes").context["remaining"] == 10


def test_staff_reset_removes_authenticators_and_codes_and_is_audited(admin_client, api, wos):
    first_sign_in(api, wos)
    user = User.objects.get(email="lost@example.com")
    response = admin_client.post(
        "/admin/accounts/user/", {"action": "reset_mfa", "_selected_action": [user.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "MFA reset: lost@example.com (1 authenticator removed)" in response.content.decode()
    assert factors_of(wos, "lost@example.com") == [] and not RecoveryCode.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.MFA_RESET)
    assert event.user == user and event.details["by"] == "admin@example.com"
    # the next sign-in sets up a new authenticator
    step(post(api, "/api/auth/workos/callback", code=wos.code("lost@example.com")), "mfa_enrollment")
