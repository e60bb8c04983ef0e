"""AuthKit's sign-ins besides the redirect, through the JSON API against the emulator: the steps a
WorkOS sign-in may ask for (email verification, MFA enrollment and challenge, organization
choice), magic codes, WorkOS-held passwords, password reset and a CLI's device code."""

import time

import pytest
import requests
import time_machine
from rest_framework.test import APIClient

from accounts import mfa
from accounts.models import AuditEvent, AuthSession, LoginRule, SignInMethod, SignInState, User
from workos_emulator import totp

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXP"


def post(api, path, **body):
    return api.post(path, body, format="json")


def callback(api, wos, email):
    return post(api, "/api/auth/workos/callback", code=wos.code(email))


def step(response, code):
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["code"] == code, body
    assert body["detail"]["step"] == code
    return body["detail"]


def signed_in(response, email):
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"]["email"] == email and body["access_token"] and body["refresh_token"]
    return body


def now_code(wos, secret=SECRET):
    return totp.code_at(secret, wos.store.now())


# --- pending steps -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("workos_code", "ours"),
    [
        ("email_verification_code_incorrect", "invalid_one_time_code"),
        ("email_verification_code_expired", "one_time_code_expired"),
    ],
)
def test_workos_words_for_a_wrong_or_expired_email_code_are_ours(api, wos, workos_code, ours):
    wos.add_user("new@example.com", email_verified=False)
    detail = step(callback(api, wos, "new@example.com"), "email_verification_required")
    wos.inject("/user_management/authenticate", status=400, body={"code": workos_code, "message": "No."})
    answer = post(api, "/api/auth/steps/email-verification", pending_token=detail["pending_token"], code="123456")
    assert answer.status_code == 400 and answer.json()["code"] == ours


def test_email_verification_then_sign_in_and_nothing_written_before(api, wos):
    wos.add_user("new@example.com", email_verified=False)
    detail = step(callback(api, wos, "new@example.com"), "email_verification_required")
    assert detail["email"] == "new@example.com"
    assert "pending_authentication_token" not in str(detail)
    assert User.objects.count() == 0 and AuthSession.objects.count() == 0
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGN_IN_FAILED).exists()

    wrong = post(
        api,
        "/api/auth/steps/email-verification",
        pending_token=detail["pending_token"],
        code="000000" if wos.mail("new@example.com")["code"] != "000000" else "111111",
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_one_time_code"
    body = signed_in(
        post(
            api,
            "/api/auth/steps/email-verification",
            pending_token=detail["pending_token"],
            code=wos.mail("new@example.com")["code"],
        ),
        "new@example.com",
    )
    assert body["created"] is True
    assert AuthSession.objects.get().method == SignInMethod.AUTHKIT
    again = post(
        api,
        "/api/auth/steps/email-verification",
        pending_token=detail["pending_token"],
        code=wos.mail("new@example.com")["code"],
    )
    assert again.status_code == 400 and again.json()["code"] == "pending_token_invalid"
    assert not SignInState.objects.exists()


def test_mfa_enrollment_shows_the_secret_then_a_code_signs_in(api, wos):
    wos.add_user("mfa@example.com", mfa=True)
    detail = step(callback(api, wos, "mfa@example.com"), "mfa_enrollment")
    early = post(api, "/api/auth/steps/mfa", pending_token=detail["pending_token"], code="123456")
    assert early.status_code == 400 and early.json()["code"] == "mfa_enrollment_required"
    first = post(api, "/api/auth/steps/mfa/enroll", pending_token=detail["pending_token"]).json()
    enrolled = post(
        api, "/api/auth/steps/mfa/enroll", pending_token=detail["pending_token"]
    ).json()  # replaces the first
    assert enrolled["secret"] != first["secret"] and enrolled["qr_code"].startswith("data:image/svg+xml")
    assert enrolled["uri"].startswith("otpauth://totp/Gatehouse:") and enrolled["secret"] in enrolled["uri"]
    assert sum(1 for f in wos.store.auth_factors.values() if f["totp"]["user"] == "mfa@example.com") == 1
    signed_in(
        post(api, "/api/auth/steps/mfa", pending_token=detail["pending_token"], code=now_code(wos, enrolled["secret"])),
        "mfa@example.com",
    )


def test_mfa_challenge_with_a_seeded_authenticator_and_attempts_are_bounded(api, wos):
    wos.add_user("totp@example.com", mfa=True, totp_secret=SECRET)
    detail = step(callback(api, wos, "totp@example.com"), "mfa_challenge")
    assert [f["type"] for f in detail["factors"]] == ["totp"]
    wrong = str((int(now_code(wos)) + 500000) % 1000000).zfill(6)
    for left in (4, 3, 2, 1):
        response = post(api, "/api/auth/steps/mfa", pending_token=detail["pending_token"], code=wrong)
        assert response.status_code == 400 and response.json()["code"] == "invalid_one_time_code"
        assert response.json()["detail"] == {"attempts_left": left}
    last = post(api, "/api/auth/steps/mfa", pending_token=detail["pending_token"], code=wrong)
    assert last.status_code == 400 and last.json()["code"] == "one_time_code_too_many_attempts"
    gone = post(api, "/api/auth/steps/mfa", pending_token=detail["pending_token"], code=now_code(wos))
    assert gone.status_code == 400 and gone.json()["code"] == "pending_token_invalid"
    assert AuthSession.objects.count() == 0

    detail = step(callback(api, wos, "totp@example.com"), "mfa_challenge")
    unknown = post(
        api, "/api/auth/steps/mfa", pending_token=detail["pending_token"], code="123456", factor_id="auth_factor_other"
    )
    assert unknown.status_code == 400 and unknown.json()["code"] == "factor_not_offered"
    signed_in(
        post(
            api,
            "/api/auth/steps/mfa",
            pending_token=detail["pending_token"],
            code=now_code(wos),
            factor_id=detail["factors"][0]["id"],
        ),
        "totp@example.com",
    )


def test_steps_chain_verification_mfa_then_organization(api, wos):
    wos.seed(organizations=[{"id": "org_A", "name": "Alpha"}, {"id": "org_B", "name": "Beta"}])
    wos.add_user(
        "all@example.com", email_verified=False, mfa=True, totp_secret=SECRET, organizations=["org_A", "org_B"]
    )
    detail = step(callback(api, wos, "all@example.com"), "email_verification_required")
    wrong_step = post(
        api, "/api/auth/steps/organization", pending_token=detail["pending_token"], organization_id="org_A"
    )
    assert wrong_step.status_code == 400 and wrong_step.json()["code"] == "wrong_step"
    detail = step(
        post(
            api,
            "/api/auth/steps/email-verification",
            pending_token=detail["pending_token"],
            code=wos.mail("all@example.com")["code"],
        ),
        "mfa_challenge",
    )
    detail = step(
        post(api, "/api/auth/steps/mfa", pending_token=detail["pending_token"], code=now_code(wos)),
        "organization_selection_required",
    )
    assert detail["organizations"] == [{"id": "org_A", "name": "Alpha"}, {"id": "org_B", "name": "Beta"}]
    outsider = post(api, "/api/auth/steps/organization", pending_token=detail["pending_token"], organization_id="org_Z")
    assert outsider.status_code == 400 and outsider.json()["code"] == "organization_not_offered"
    body = signed_in(
        post(api, "/api/auth/steps/organization", pending_token=detail["pending_token"], organization_id="org_B"),
        "all@example.com",
    )
    assert body["user"]["organization_id"] == "org_B"
    assert SignInState.objects.count() == 0


def test_a_pending_token_is_opaque_signed_and_short_lived(api, wos, settings):
    wos.add_user("new@example.com", email_verified=False)
    detail = step(callback(api, wos, "new@example.com"), "email_verification_required")
    forged = post(api, "/api/auth/steps/email-verification", pending_token=detail["pending_token"] + "x", code="123456")
    assert forged.status_code == 400 and forged.json()["code"] == "pending_token_invalid"
    missing = post(api, "/api/auth/steps/email-verification", code="123456")
    assert missing.status_code == 400 and missing.json()["code"] == "validation_error"
    letters = post(api, "/api/auth/steps/email-verification", pending_token=detail["pending_token"], code="abc")
    assert letters.status_code == 400 and letters.json()["code"] == "invalid_one_time_code"
    settings.GATEHOUSE_SIGNIN_STATE_MAX_AGE = 0
    code = wos.mail("new@example.com")["code"]
    with time_machine.travel(time.time() + 2):  # the token's signed timestamp is a second behind
        late = post(api, "/api/auth/steps/email-verification", pending_token=detail["pending_token"], code=code)
    assert late.status_code == 400 and late.json()["code"] == "pending_token_expired"


def test_workos_failing_during_a_step_keeps_the_sign_in(api, wos):
    wos.add_user("new@example.com", email_verified=False)
    detail = step(callback(api, wos, "new@example.com"), "email_verification_required")
    wos.inject("/user_management/authenticate", method="POST", status=503)
    failed = post(
        api,
        "/api/auth/steps/email-verification",
        pending_token=detail["pending_token"],
        code=wos.mail("new@example.com")["code"],
    )
    assert failed.status_code == 503 and failed.json()["code"] == "workos_unavailable"
    signed_in(
        post(
            api,
            "/api/auth/steps/email-verification",
            pending_token=detail["pending_token"],
            code=wos.mail("new@example.com")["code"],
        ),
        "new@example.com",
    )


def test_a_refused_step_completion_writes_nothing(api, wos, settings):
    settings.GATEHOUSE_ALLOWED_EMAIL_DOMAINS = ["allowed.test"]
    wos.add_user("new@example.com", email_verified=False)
    detail = step(callback(api, wos, "new@example.com"), "email_verification_required")
    refused = post(
        api,
        "/api/auth/steps/email-verification",
        pending_token=detail["pending_token"],
        code=wos.mail("new@example.com")["code"],
    )
    assert refused.status_code == 403 and refused.json()["code"] != "email_verification_required"
    assert User.objects.count() == 0 and AuthSession.objects.count() == 0 and SignInState.objects.count() == 0


# --- magic codes -----------------------------------------------------------------------------


def test_magic_code_signs_in_and_never_says_whether_an_account_exists(api, wos):
    wos.add_user("pat@example.com")
    known = post(api, "/api/auth/magic-code", email="pat@example.com")
    unknown = post(api, "/api/auth/magic-code", email="nobody@example.com")
    assert known.status_code == unknown.status_code == 202 and known.json() == unknown.json()
    wrong = post(
        api,
        "/api/auth/magic-code/verify",
        email="pat@example.com",
        code="999999" if wos.mail("pat@example.com")["code"] != "999999" else "111111",
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_one_time_code"
    body = signed_in(
        post(api, "/api/auth/magic-code/verify", email="pat@example.com", code=wos.mail("pat@example.com")["code"]),
        "pat@example.com",
    )
    assert AuthSession.objects.get().method == SignInMethod.MAGIC_CODE
    assert body["created"] is True
    used = post(api, "/api/auth/magic-code/verify", email="pat@example.com", code=wos.mail("pat@example.com")["code"])
    assert used.status_code == 400


def test_expired_codes_are_refused(api, wos):
    wos.add_user("pat@example.com", email_verified=False)
    post(api, "/api/auth/magic-code", email="pat@example.com")
    magic = wos.mail("pat@example.com")["code"]
    wos.advance(11 * 60)  # WorkOS's codes last 10 minutes
    late = post(api, "/api/auth/magic-code/verify", email="pat@example.com", code=magic)
    assert late.status_code == 400 and late.json()["code"] == "one_time_code_expired"
    assert AuthSession.objects.count() == 0


def test_magic_code_follows_login_rules_and_is_throttled_per_address(api, wos, settings):
    LoginRule.objects.create(pattern="corp.test", method=SignInMethod.SSO, organization_id="org_X")
    refused = post(api, "/api/auth/magic-code", email="a@corp.test")
    assert refused.status_code == 403 and refused.json()["code"] == "method_not_allowed"
    LoginRule.objects.create(pattern="codes.test", method=SignInMethod.MAGIC_CODE, allow_signup=True)
    assert post(api, "/api/auth/magic-code", email="a@codes.test").status_code == 202
    settings.GATEHOUSE_RATE_LIMITS = {"email_send": "2/d"}
    statuses = [post(api, "/api/auth/magic-code", email="flood@example.com").status_code for _ in range(3)]
    assert statuses == [202, 202, 429]
    assert post(api, "/api/auth/magic-code", email="other@example.com").status_code == 202


# --- WorkOS-held passwords --------------------------------------------------------------------


def test_workos_password_backend_signs_in_and_answers_alike_for_unknown_emails(api, wos, settings):
    settings.GATEHOUSE_PASSWORD_BACKEND = "workos"
    wos.add_user("pat@example.com", password="pw-pat-12345")
    ok = post(api, "/api/token/", email="pat@example.com", password="pw-pat-12345")
    assert ok.status_code == 200 and ok.json()["access"] and ok.json()["refresh"]
    assert AuthSession.objects.get().method == SignInMethod.WORKOS_PASSWORD
    assert User.objects.get(email="pat@example.com").workos_user_id
    wrong = post(api, "/api/token/", email="pat@example.com", password="nope-nope")
    unknown = post(api, "/api/token/", email="nobody@example.com", password="nope-nope")
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json() == unknown.json() == {"code": "invalid_credentials", "message": "Email or password is incorrect."}
    )


def test_a_login_rule_chooses_where_passwords_are_checked(api, wos, settings):
    settings.GATEHOUSE_PASSWORD_BACKEND = "django"
    LoginRule.objects.create(pattern="wos.test", method=SignInMethod.WORKOS_PASSWORD, allow_signup=True)
    wos.add_user("pat@wos.test", password="pw-pat-12345")
    User.objects.create_user("local@example.com", password="local-pw-123")
    assert post(api, "/api/token/", email="pat@wos.test", password="pw-pat-12345").status_code == 200
    assert post(api, "/api/token/", email="local@example.com", password="local-pw-123").status_code == 200
    assert sorted(AuthSession.objects.values_list("method", flat=True)) == [
        SignInMethod.PASSWORD,
        SignInMethod.WORKOS_PASSWORD,
    ]


def test_workos_password_can_ask_for_a_step(api, wos, settings):
    settings.GATEHOUSE_PASSWORD_BACKEND = "workos"
    wos.add_user("mfa@example.com", password="pw-mfa-12345", mfa=True, totp_secret=SECRET)
    detail = step(post(api, "/api/token/", email="mfa@example.com", password="pw-mfa-12345"), "mfa_challenge")
    signed_in(
        post(api, "/api/auth/steps/mfa", pending_token=detail["pending_token"], code=now_code(wos)), "mfa@example.com"
    )
    assert AuthSession.objects.get().method == SignInMethod.WORKOS_PASSWORD


# --- password reset --------------------------------------------------------------------------


def test_password_reset_ends_every_sign_in_and_the_new_password_works(api, wos, settings):
    settings.GATEHOUSE_PASSWORD_BACKEND = "workos"
    wos.add_user("pat@example.com", password="pw-pat-12345")
    first = post(api, "/api/token/", email="pat@example.com", password="pw-pat-12345").json()
    known = post(api, "/api/auth/password-reset", email="pat@example.com")
    unknown = post(api, "/api/auth/password-reset", email="nobody@example.com")
    assert known.status_code == unknown.status_code == 202 and known.json() == unknown.json()
    token = wos.mail("pat@example.com")["link"].rsplit("token=", 1)[1]
    weak = post(api, "/api/auth/password-reset/confirm", token=token, new_password="short")
    assert weak.status_code == 400 and weak.json()["code"] == "password_too_weak"
    done = post(api, "/api/auth/password-reset/confirm", token=token, new_password="a-new-password")
    assert done.status_code == 200, done.content
    assert AuthSession.objects.get().revoked_reason == "password_reset"
    assert post(api, "/api/token/refresh/", refresh=first["refresh"]).status_code == 401
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.PASSWORD_RESET, email="pat@example.com").exists()
    reused = post(api, "/api/auth/password-reset/confirm", token=token, new_password="another-password")
    assert reused.status_code == 400 and reused.json()["code"] == "password_reset_invalid"
    assert post(api, "/api/token/", email="pat@example.com", password="a-new-password").status_code == 200


# --- device code -----------------------------------------------------------------------------


def test_device_sign_in_polls_then_returns_a_pair(api, wos, settings):
    wos.add_user("cli@example.com", password="pw-cli-12345")
    started = post(api, "/api/auth/device")
    assert started.status_code == 200, started.content
    device = started.json()
    assert set(device) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    pending = post(api, "/api/auth/device/token", device_code=device["device_code"])
    assert pending.status_code == 400 and pending.json()["code"] == "authorization_pending"
    hurried = post(api, "/api/auth/device/token", device_code=device["device_code"])
    assert hurried.status_code == 400 and hurried.json()["code"] == "slow_down"
    assert hurried.json()["detail"]["interval"] == device["interval"] + 5
    page = requests.post(
        f"{wos.url}/device",
        data={"user_code": device["user_code"], "email": "cli@example.com", "password": "pw-cli-12345"},
        timeout=5,
    )
    assert page.status_code == 200
    SignInState.objects.filter(flow=SignInState.Flow.DEVICE).update(not_before=None)  # the interval has passed
    body = signed_in(post(api, "/api/auth/device/token", device_code=device["device_code"]), "cli@example.com")
    assert (
        api.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}").json()["email"]
        == "cli@example.com"
    )
    assert AuthSession.objects.get().method == SignInMethod.DEVICE
    assert (
        post(api, "/api/auth/device/token", device_code=device["device_code"]).json()["code"] == "device_code_invalid"
    )


def test_device_sign_in_denied_or_forged(api, wos):
    device = post(api, "/api/auth/device").json()
    requests.post(f"{wos.url}/device", data={"user_code": device["user_code"], "decision": "deny"}, timeout=5)
    denied = post(api, "/api/auth/device/token", device_code=device["device_code"])
    assert denied.status_code == 400 and denied.json()["code"] == "access_denied"
    assert not SignInState.objects.exists()
    forged = post(api, "/api/auth/device/token", device_code="x:y:z")
    assert forged.status_code == 400 and forged.json()["code"] == "device_code_invalid"
    assert AuthSession.objects.count() == 0


# --- the pages -------------------------------------------------------------------------------


def signed_in_user(client):
    from django.contrib.auth import SESSION_KEY

    pk = client.session.get(SESSION_KEY)
    return User.objects.get(pk=pk).email if pk else None


def browser_callback(client, wos, email, password, next_url="/account/sessions"):
    from tests.helpers import follow_hosted_sign_in

    start = client.get("/auth/workos/start", {"next": next_url})
    back = follow_hosted_sign_in(start["Location"], email=email, password=password)
    return client.get("/auth/callback", {"code": back["code"], "state": back["state"]})


def test_browser_steps_after_the_authkit_redirect(client, wos):
    from accounts.web.steps import PENDING_KEY

    wos.seed(organizations=[{"id": "org_A", "name": "Alpha"}, {"id": "org_B", "name": "Beta"}])
    wos.add_user(
        "all@example.com", password="pw-all-12345", email_verified=False, mfa=True, organizations=["org_A", "org_B"]
    )
    response = browser_callback(client, wos, "all@example.com", "pw-all-12345")
    assert response.status_code == 302 and response["Location"] == "/auth/steps"
    page = client.get("/auth/steps")
    assert page.context["step"] == "email_verification_required" and b"all@example.com" in page.content
    assert signed_in_user(client) is None

    # the handle is bound to this browser: the API refuses it
    handle = client.session[PENDING_KEY]
    stolen = APIClient().post(
        "/api/auth/steps/email-verification",
        {"pending_token": handle, "code": wos.mail("all@example.com")["code"]},
        format="json",
    )
    assert stolen.status_code == 400 and stolen.json()["code"] == "pending_token_mismatch"

    wrong = client.post("/auth/steps", {"action": "code", "code": "12"})
    assert wrong.status_code == 400 and wrong.context["error"]
    assert (
        client.post("/auth/steps", {"action": "code", "code": wos.mail("all@example.com")["code"]})["Location"]
        == "/auth/steps"
    )
    assert client.get("/auth/steps").context["step"] == "mfa_enrollment"
    enrolled = client.post("/auth/steps", {"action": "enroll"})
    secret = enrolled.context["enrollment"]["secret"]
    assert secret.encode() in enrolled.content and b"data:image/svg+xml" in enrolled.content
    assert secret.encode() not in client.get("/auth/steps").content  # shown once
    assert client.post("/auth/steps", {"action": "mfa", "code": now_code(wos, secret)})["Location"] == "/auth/steps"
    page = client.get("/auth/steps")
    assert page.context["step"] == "organization_selection_required" and b"Beta" in page.content
    done = client.post("/auth/steps", {"action": "organization", "organization_id": "org_B"})
    # an authenticator was set up (two steps ago): its recovery codes first, shown once, then on
    assert done.status_code == 302 and done["Location"] == "/account/recovery-codes"
    assert signed_in_user(client) == "all@example.com"
    codes = client.get("/account/recovery-codes")
    assert len(codes.context["codes"]) == 10 and codes.context["next"] == "/account/sessions"
    assert codes.context["codes"][0].encode() in codes.content
    assert client.get("/account/recovery-codes").context["remaining"] == 10  # not shown again
    ended = client.get("/auth/steps")
    assert ended.status_code == 400 and b"Back to sign-in" in ended.content


def test_a_recovery_code_on_the_steps_page_leads_to_a_new_authenticator(client, wos):
    wos.add_user("lost@example.com", password="pw-lost-12345", mfa=True, totp_secret=SECRET)
    user = User.objects.create_user(
        "lost@example.com", workos_user_id=wos.store.user_by_email("lost@example.com")["id"]
    )
    codes = mfa.issue_recovery_codes(user)
    assert browser_callback(client, wos, "lost@example.com", "pw-lost-12345")["Location"] == "/auth/steps"
    page = client.get("/auth/steps")
    assert page.context["step"] == "mfa_challenge" and b"Use a recovery code" in page.content
    wrong = client.post("/auth/steps", {"action": "recovery", "recovery_code": "aaaaa-bbbbb"})
    assert wrong.status_code == 400 and "recovery code is not right" in wrong.context["error"]
    used = client.post("/auth/steps", {"action": "recovery", "recovery_code": codes[0]})
    assert used["Location"] == "/auth/steps"
    assert client.get("/auth/steps").context["step"] == "mfa_enrollment"
    secret = client.post("/auth/steps", {"action": "enroll"}).context["enrollment"]["secret"]
    assert secret != SECRET
    done = client.post("/auth/steps", {"action": "mfa", "code": now_code(wos, secret)})
    assert done["Location"] == "/account/recovery-codes"
    fresh = client.get("/account/recovery-codes").context["codes"]
    assert len(fresh) == 10 and codes[1] not in fresh and signed_in_user(client) == "lost@example.com"


def test_every_code_checked_on_the_steps_page_counts_against_the_address(client, wos):
    """Whatever the form's `action` says (or leaves out): 5 sign-ins x 5 wrong codes from one
    address are 25 code checks, and the per-address limit (20 a minute) stops the 21st."""
    wos.add_user("slow@example.com", password="pw-slow-12345", email_verified=False)
    statuses = []
    # one rate-limit window (a minute) for all 25: a window that turned mid-test would start anew
    with time_machine.travel(time.time() // 60 * 60 + 1, tick=False):
        for _ in range(5):
            assert browser_callback(client, wos, "slow@example.com", "pw-slow-12345")["Location"] == "/auth/steps"
            for _ in range(5):
                statuses.append(client.post("/auth/steps", {"code": "000001"}).status_code)
    assert statuses[:20] == [400] * 20
    assert statuses[20:] == [429] * 5


def test_login_page_offers_an_emailed_code(client, wos):
    wos.add_user("pat@example.com")
    page = client.post("/auth/login", {"email": "pat@example.com", "next": "/account/sessions"})
    assert page.context["step"] == "password" and page.context["offer_code"]
    sent = client.post("/auth/login", {"email": "pat@example.com", "action": "send_code", "next": "/account/sessions"})
    assert sent.context["step"] == "code"
    wrong = client.post("/auth/login", {"email": "pat@example.com", "code": "12", "next": "/account/sessions"})
    assert wrong.status_code == 400 and wrong.context["step"] == "code" and signed_in_user(client) is None
    done = client.post(
        "/auth/login",
        {"email": "pat@example.com", "code": wos.mail("pat@example.com")["code"], "next": "/account/sessions"},
    )
    assert done.status_code == 302 and done["Location"] == "/account/sessions"
    assert signed_in_user(client) == "pat@example.com"
    assert AuthSession.objects.get().method == SignInMethod.MAGIC_CODE


def test_a_magic_code_rule_sends_the_code_at_once(client, wos):
    LoginRule.objects.create(pattern="codes.test", method=SignInMethod.MAGIC_CODE, allow_signup=True)
    page = client.post("/auth/login", {"email": "new@codes.test"})
    assert page.context["step"] == "code" and wos.mail("new@codes.test")["code"]
    password = client.post("/auth/login", {"email": "new@codes.test", "password": "whatever-123"})
    assert password.status_code == 403 and signed_in_user(client) is None


def test_login_page_with_workos_passwords_and_a_step(client, wos, settings):
    settings.GATEHOUSE_PASSWORD_BACKEND = "workos"
    wos.add_user("mfa@example.com", password="pw-mfa-12345", mfa=True, totp_secret=SECRET)
    page = client.post("/auth/login", {"email": "mfa@example.com"})
    assert page.context["offer_reset"] and b"Forgot your password?" in page.content
    wrong = client.post("/auth/login", {"email": "mfa@example.com", "password": "nope-nope"})
    assert wrong.status_code == 401 and wrong.context["error"] == "Email or password is incorrect."
    step_page = client.post("/auth/login", {"email": "mfa@example.com", "password": "pw-mfa-12345"})
    assert step_page["Location"] == "/auth/steps"
    assert client.get("/auth/steps").context["step"] == "mfa_challenge"
    done = client.post("/auth/steps", {"action": "mfa", "code": now_code(wos)})
    assert done.status_code == 302 and signed_in_user(client) == "mfa@example.com"


def test_password_reset_pages(client, wos, settings):
    settings.GATEHOUSE_PASSWORD_BACKEND = "workos"
    wos.seed(settings={"password_reset_url": "http://testserver/auth/password-reset/confirm"})
    wos.add_user("pat@example.com", password="pw-pat-12345")
    client.post("/auth/login", {"email": "pat@example.com", "password": "pw-pat-12345"})
    assert signed_in_user(client) == "pat@example.com"
    other = type(client)()
    sent = other.post("/auth/password-reset", {"email": "pat@example.com"})
    unknown = other.post("/auth/password-reset", {"email": "nobody@example.com"})
    assert sent.context["step"] == unknown.context["step"] == "sent"
    link = wos.mail("pat@example.com")["link"]
    assert link.startswith("http://testserver/auth/password-reset/confirm?token=")
    form = other.get(link)
    assert form.context["step"] == "confirm"
    token = form.context["token"]
    differ = other.post(
        "/auth/password-reset/confirm",
        {"token": token, "new_password": "a-new-password", "new_password_again": "another"},
    )
    assert differ.status_code == 400
    done = other.post(
        "/auth/password-reset/confirm",
        {"token": token, "new_password": "a-new-password", "new_password_again": "a-new-password"},
    )
    assert done.context["step"] == "done"
    assert client.get("/account/sessions").status_code == 302  # the first browser was signed out
    again = other.post(
        "/auth/password-reset/confirm",
        {"token": token, "new_password": "a-new-password", "new_password_again": "a-new-password"},
    )
    assert again.status_code == 400 and again.context["code"] == "password_reset_invalid"
    # a used link, followed again, says so before the form
    spent = other.get(link)
    assert spent.status_code == 400 and spent.context["code"] == "password_reset_invalid"
    assert b"invalid, expired or already used" in spent.content and b"new_password" not in spent.content


def test_a_bogus_reset_link_is_refused_before_the_form_unless_links_may_come_from_elsewhere(client, wos, settings):
    settings.GATEHOUSE_PASSWORD_BACKEND = "workos"
    wos.add_user("pat@example.com", password="pw-pat-12345")
    bogus = client.get("/auth/password-reset/confirm", {"token": "A" * 32})
    assert bogus.status_code == 400 and bogus.context["code"] == "password_reset_invalid"
    assert b"new_password" not in bogus.content  # no form to fill in vain
    assert b"invalid, expired or already used" in bogus.content
    api = APIClient()
    refused = post(api, "/api/auth/password-reset/confirm", token="A" * 32, new_password="a-new-password")
    assert (refused.status_code, refused.json()["code"]) == (400, "password_reset_invalid")
    assert not wos.log("/user_management/password_reset/confirm")  # WorkOS was not asked
    # a link made in WorkOS's dashboard (not asked for here) is taken once the setting allows it
    settings.GATEHOUSE_PASSWORD_RESET_LINKS = "any"
    made_elsewhere = requests.post(
        f"{wos.url}/user_management/password_reset",
        json={"email": "pat@example.com"},
        headers={"Authorization": "Bearer sk_test_emulator"},
        timeout=5,
    ).json()["password_reset_token"]
    form = client.get("/auth/password-reset/confirm", {"token": made_elsewhere})
    assert form.status_code == 200 and form.context["step"] == "confirm"
    done = post(api, "/api/auth/password-reset/confirm", token=made_elsewhere, new_password="a-new-password")
    assert done.status_code == 200, done.content


@pytest.mark.parametrize(
    "path, data, status",
    [
        ("/auth/steps", {"action": "code", "code": "1" * 5000}, 400),
        ("/auth/password-reset", {"email": "a\x00b@example.com"}, 400),
        ("/auth/password-reset/confirm", {"token": "t" * 5000, "new_password": "x", "new_password_again": "x"}, 400),
        (
            "/auth/password-reset/confirm",
            {"token": "tok", "new_password": "x" * 2000, "new_password_again": "x" * 2000},
            400,
        ),
    ],
)
def test_hostile_form_posts_get_a_page_not_a_500(client, wos, path, data, status):
    assert client.post(path, data).status_code == status
    assert AuthSession.objects.count() == 0


def test_either_backend_checks_our_passwords_then_workos(api, client, wos, settings):
    """The demo's backend: pat's password is ours, alice's is WorkOS's; both work in one field."""
    settings.GATEHOUSE_PASSWORD_BACKEND = "either"
    User.objects.create_user("pat@example.com", "pw-pat-12345")
    wos.add_user("alice@example.com", password="pw-alice-123")
    ours = post(api, "/api/token/", email="pat@example.com", password="pw-pat-12345")
    assert ours.status_code == 200, ours.content
    theirs = post(api, "/api/token/", email="alice@example.com", password="pw-alice-123")
    assert theirs.status_code == 200, theirs.content
    assert AuthSession.objects.get(user__email="alice@example.com").method == SignInMethod.WORKOS_PASSWORD
    for email, password in (("pat@example.com", "nope"), ("alice@example.com", "nope"), ("who@example.com", "x")):
        wrong = post(api, "/api/token/", email=email, password=password)
        assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_credentials"
    page = client.post("/auth/login", {"email": "alice@example.com"})
    assert b'data-testid="forgot-password"' in page.content
