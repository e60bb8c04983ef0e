"""One-time things at the sign-in steps are spent atomically: parallel requests with one
pending_token or device_code, while WorkOS answers slowly, get no more from WorkOS than one
client asking in turn would."""

import fnmatch
import threading

import pytest
import requests
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import SignInState
from workos_emulator import totp

pytestmark = pytest.mark.django_db(transaction=True)


def parallel(n, call):
    """`call()` n times at once, each on its own thread and database connection: the answers."""
    barrier, answers, lock = threading.Barrier(n), [], threading.Lock()

    def run():
        barrier.wait()
        try:
            response = call()
            with lock:
                answers.append((response.status_code, response.json().get("code")))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == n, "a request did not finish"
    return answers


def post(path, **body):
    return APIClient().post(path, body, format="json")


def forwarded(wos, method, path):
    return [e for e in wos.log(settle=0.1) if e["method"] == method and fnmatch.fnmatchcase(e["path"], path)]


@pytest.fixture
def open_throttles(settings):
    """These tests are about the steps' own limits, not the per-address throttles."""
    settings.GATEHOUSE_RATE_LIMITS = {
        **settings.GATEHOUSE_RATE_LIMITS,
        "password_ip": "1000/m",
        "sign_in_ip": "1000/m",
        "authorize_ip": "1000/m",
    }


def test_parallel_wrong_codes_reach_workos_at_most_five_times(wos, open_throttles):
    wos.add_user("new@example.com", email_verified=False)
    detail = post("/api/auth/workos/callback", code=wos.code("new@example.com")).json()["detail"]
    right = wos.mail("new@example.com")["code"]
    wrong = "000000" if right != "000000" else "111111"
    requests.delete(f"{wos.url}/_emulator/requests", timeout=5)
    wos.slow("/user_management/authenticate", ms=300)
    answers = parallel(
        20, lambda: post("/api/auth/steps/email-verification", pending_token=detail["pending_token"], code=wrong)
    )
    assert len(forwarded(wos, "POST", "/user_management/authenticate")) <= 5
    assert {status for status, _ in answers} == {400}
    assert {code for _, code in answers} <= {
        "invalid_one_time_code",
        "sign_in_expired",
        "pending_token_invalid",
        "one_time_code_too_many_attempts",
    }
    # the tries are spent: the right code no longer finishes this sign-in
    late = post("/api/auth/steps/email-verification", pending_token=detail["pending_token"], code=right)
    assert late.status_code == 400 and late.json()["code"] in ("pending_token_invalid", "sign_in_expired")
    assert not SignInState.objects.exists()


def test_a_try_workos_never_judged_is_given_back(wos):
    wos.add_user("new@example.com", email_verified=False)
    detail = post("/api/auth/workos/callback", code=wos.code("new@example.com")).json()["detail"]
    wos.inject("/user_management/authenticate", status=503, times=5)
    for _ in range(5):
        assert (
            post("/api/auth/steps/email-verification", pending_token=detail["pending_token"], code="123456").status_code
            == 503
        )
    assert SignInState.objects.get().attempts == 0
    done = post(
        "/api/auth/steps/email-verification",
        pending_token=detail["pending_token"],
        code=wos.mail("new@example.com")["code"],
    )
    assert done.status_code == 200, done.content


def _factors(wos, user_id):
    return [f for f in wos.store.auth_factors.values() if f["user_id"] == user_id]


def test_parallel_enrollments_leave_one_factor(wos, open_throttles):
    person = wos.add_user("mfa@example.com", mfa=True)
    detail = post("/api/auth/workos/callback", code=wos.code("mfa@example.com")).json()["detail"]
    assert detail["step"] == "mfa_enrollment"
    wos.slow("/user_management/users/*/auth_factors", ms=300, method="POST")
    answers = parallel(5, lambda: post("/api/auth/steps/mfa/enroll", pending_token=detail["pending_token"]))
    assert sorted(answers)[0] == (200, None)
    assert [a for a in answers if a[0] == 200] == [(200, None)]
    assert {a for a in answers if a[0] != 200} == {(409, "step_in_progress")}
    assert len(_factors(wos, person["id"])) == 1
    # asked again in turn: the factor is replaced, never added to
    again = post("/api/auth/steps/mfa/enroll", pending_token=detail["pending_token"]).json()
    factors = _factors(wos, person["id"])
    assert [f["id"] for f in factors] == [again["factor_id"]]
    done = post(
        "/api/auth/steps/mfa",
        pending_token=detail["pending_token"],
        code=totp.code_at(again["secret"], wos.store.now()),
    )
    assert done.status_code == 200, done.content


def test_a_factor_that_cannot_be_removed_is_not_replaced(wos):
    person = wos.add_user("mfa@example.com", mfa=True)
    detail = post("/api/auth/workos/callback", code=wos.code("mfa@example.com")).json()["detail"]
    first = post("/api/auth/steps/mfa/enroll", pending_token=detail["pending_token"]).json()
    wos.inject("/auth/factors/*", method="DELETE", status=500)
    failed = post("/api/auth/steps/mfa/enroll", pending_token=detail["pending_token"])
    assert failed.status_code == 503 and failed.json()["code"] == "workos_unavailable"
    assert [f["id"] for f in _factors(wos, person["id"])] == [first["factor_id"]]
    # the lease ended with the failure: the next try replaces the factor
    again = post("/api/auth/steps/mfa/enroll", pending_token=detail["pending_token"])
    assert again.status_code == 200
    assert [f["id"] for f in _factors(wos, person["id"])] == [again.json()["factor_id"]]


def test_parallel_device_polls_reach_workos_once_per_interval(wos, open_throttles):
    device = post("/api/auth/device").json()
    requests.delete(f"{wos.url}/_emulator/requests", timeout=5)
    wos.slow("/user_management/authenticate", ms=300)
    answers = parallel(20, lambda: post("/api/auth/device/token", device_code=device["device_code"]))
    assert len(forwarded(wos, "POST", "/user_management/authenticate")) == 1
    assert sorted(answers).count((400, "authorization_pending")) == 1
    assert {a for a in answers if a[1] != "authorization_pending"} == {(400, "slow_down")}
    assert SignInState.objects.get().interval > device["interval"]
