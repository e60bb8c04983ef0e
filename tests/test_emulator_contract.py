"""The emulator speaks WorkOS: the official SDK parses every response, and every response body
validates against WorkOS's OpenAPI spec. Drift in either direction fails here."""

import json
import os

import pytest
import requests
import workos
from workos import BadRequestError, NotFoundError
from workos.connect.models import UserConsentOption, UserConsentOptionChoice, UserObject

from tests.helpers import follow_hosted_sign_in
from tests.openapi_contract import Contract, spec_path
from workos_integration.sdk import OrganizationSelectionRequiredError

REDIRECT = "http://testserver/auth/callback"


@pytest.fixture(scope="module")
def contract():
    path = spec_path()
    if path is None or not path.exists():
        message = f"WorkOS OpenAPI spec not found (WORKOS_OPENAPI_SPEC={os.environ.get('WORKOS_OPENAPI_SPEC')!r})"
        if os.environ.get("CI") or os.environ.get("WORKOS_OPENAPI_SPEC"):
            pytest.fail(message)
        pytest.skip(message + "; set WORKOS_OPENAPI_SPEC to WorkOS's open-api-spec.yaml")
    return Contract(path)


@pytest.fixture
def sdk(wos):
    client = workos.WorkOSClient(
        api_key=wos.store.api_key, client_id=wos.store.client_id, base_url=wos.url, max_retries=0
    )
    yield client
    client.close()


def assert_conforms(contract, wos):
    # read back every event the test made the emulator emit, so each is checked against the spec
    after = None
    while True:
        params = {"limit": 100, **({"after": after} if after else {})}
        page = requests.get(
            f"{wos.url}/events", params=params, headers={"Authorization": f"Bearer {wos.store.api_key}"}, timeout=5
        ).json()
        after = page["list_metadata"]["after"]
        if not after:
            break
    log = wos.log()
    # /oauth2/* live on the AuthKit domain, outside the API spec; pages are HTML.
    api_calls = [
        e for e in log if e["content_type"] != "text/html" and not e["path"].startswith(("/oauth2/", "/.well-known/"))
    ]
    assert api_calls, "nothing was recorded"
    problems = [p for entry in api_calls for p in contract.check(entry)]
    assert problems == [], "\n".join(problems)
    return api_calls


def seed(wos):
    return wos.seed(
        organizations=[
            {"id": "org_ACME", "name": "Acme", "domains": ["acme.test"]},
            {"id": "org_GLOBEX", "name": "Globex"},
        ],
        users=[
            {"email": "pat@example.com", "password": "pw-pat-12345", "first_name": "Pat"},
            {
                "email": "multi@acme.test",
                "password": "pw-multi-123",
                "organizations": ["org_ACME", "org_GLOBEX"],
                "role": "admin",
            },
        ],
        connections=[
            {
                "id": "conn_ACME",
                "name": "Acme Okta",
                "organization": "org_ACME",
                "profiles": [{"email": "sam@acme.test", "role": "member"}],
            }
        ],
        oauth_applications=[
            {
                "client_id": "client_cli",
                "client_secret": "cli-secret",
                "redirect_uris": ["http://127.0.0.1:9/cb"],
                "name": "CLI",
            }
        ],
        settings={"connect_login_uri": "http://testserver/connect/login"},
    )


def test_user_management_through_the_sdk(sdk, wos, contract):
    seed(wos)
    um = sdk.user_management
    auth = um.authenticate_with_code(code=wos.code("pat@example.com"))
    assert auth.user.email == "pat@example.com" and auth.access_token and auth.refresh_token
    refreshed = um.authenticate_with_refresh_token(refresh_token=auth.refresh_token)
    with pytest.raises(BadRequestError) as reused:
        um.authenticate_with_refresh_token(refresh_token=auth.refresh_token)
    assert reused.value.error == "invalid_grant"
    pw = um.authenticate_with_password(email="pat@example.com", password="pw-pat-12345")
    with pytest.raises(BadRequestError) as wrong:
        um.authenticate_with_password(email="pat@example.com", password="nope")
    assert wrong.value.code == "invalid_credentials"
    with pytest.raises(OrganizationSelectionRequiredError) as choose:
        um.authenticate_with_code(code=wos.code("multi@acme.test"))
    selected = um.authenticate_with_organization_selection(
        pending_authentication_token=choose.value.pending_authentication_token, organization_id="org_GLOBEX"
    )
    assert selected.organization_id == "org_GLOBEX"

    jwks = um.get_jwks(sdk.client_id)
    assert jwks.keys[0].x_5_c and jwks.keys[0].x_5_t_s_256
    sessions = um.list_sessions(pw.user.id)
    assert len(sessions.data) >= 2
    um.revoke_session(session_id=refreshed_session_id(refreshed))
    logout = requests.get(
        um.get_logout_url(session_id=refreshed_session_id(pw), return_to="http://testserver/"),
        allow_redirects=False,
        timeout=5,
    )
    assert logout.status_code == 302 and logout.headers["Location"] == "http://testserver/"

    created = um.create_user(email="new@example.com", first_name="New", email_verified=True)
    assert um.get_user(created.id).email == "new@example.com"
    updated = um.update_user(created.id, last_name="Person", external_id="ext-1")
    assert updated.last_name == "Person"
    assert um.get_user_by_external_id("ext-1").id == created.id
    assert [u.id for u in um.list_users(email="new@example.com").data] == [created.id]
    with pytest.raises(NotFoundError):
        um.get_user("user_missing")

    orgs = sdk.organizations.list_organizations(domains=["acme.test"]).data
    assert [o.id for o in orgs] == ["org_ACME"]
    assert sdk.organizations.get_organization("org_ACME").name == "Acme"
    memberships = sdk.organization_membership.list_organization_memberships(user_id=pw.user.id).data
    assert memberships == []
    multi = sdk.organization_membership.list_organization_memberships(organization_id="org_ACME").data
    assert sdk.organization_membership.get_organization_membership(multi[0].id).role.slug == "admin"
    impersonated = um.authenticate_with_code(
        code=wos.code("pat@example.com", impersonator={"email": "help@vendor.test", "reason": "ticket"})
    )
    assert impersonated.impersonator.email == "help@vendor.test" and impersonated.impersonator.reason == "ticket"
    switched = um.authenticate_with_refresh_token(refresh_token=selected.refresh_token, organization_id="org_ACME")
    assert switched.organization_id == "org_ACME"
    assert_conforms(contract, wos)


def refreshed_session_id(auth):
    import jwt

    return jwt.decode(auth.access_token, options={"verify_signature": False})["sid"]


def test_sso_and_connections_through_the_sdk(sdk, wos, contract):
    seed(wos)
    url = sdk.sso.get_authorization_url(redirect_uri=REDIRECT, organization="org_ACME", state="s1")
    back = follow_hosted_sign_in(url, email="sam@acme.test")
    assert back["state"] == "s1"
    token = sdk.sso.get_profile_and_token(code=back["code"])
    assert token.profile.email == "sam@acme.test" and token.profile.organization_id == "org_ACME"
    assert sdk.sso.get_profile(access_token=token.access_token).id == token.profile.id
    with pytest.raises(BadRequestError) as reused:
        sdk.sso.get_profile_and_token(code=back["code"])
    assert reused.value.error == "invalid_grant"

    for i in range(250):
        wos.store.add_connection(f"Conn {i:03}", organization="org_GLOBEX", domains=[f"d{i}.test"])
    seen = [c.id for c in sdk.sso.list_connections(limit=100).auto_paging_iter()]
    assert len(seen) == len(set(seen)) == 251
    page = sdk.sso.list_connections(limit=100, organization_id="org_ACME")
    assert [c.id for c in page.data] == ["conn_ACME"]
    assert sdk.sso.list_connections(domain="d7.test").data[0].name == "Conn 007"
    assert sdk.sso.get_connection("conn_ACME").domains[0].domain == "acme.test"
    sdk.sso.delete_connection("conn_ACME")
    with pytest.raises(NotFoundError):
        sdk.sso.get_connection("conn_ACME")
    assert_conforms(contract, wos)


def test_standalone_connect_complete_through_the_sdk(sdk, wos, contract):
    seed(wos)
    start = requests.get(
        f"{wos.url}/oauth2/authorize",
        params={
            "client_id": "client_cli",
            "redirect_uri": "http://127.0.0.1:9/cb",
            "state": "xyz",
            "response_type": "code",
        },
        allow_redirects=False,
        timeout=5,
    )
    ext_id = start.headers["Location"].split("external_auth_id=")[1]
    option = UserConsentOption(
        claim="urn:x:tenant", type="enum", label="Tenant", choices=[UserConsentOptionChoice(value="t1", label="One")]
    )
    done = sdk.connect.complete_oauth2(
        external_auth_id=ext_id,
        user=UserObject(id="42", email="c@example.com", first_name="C"),
        user_consent_options=[option],
    )
    assert "/oauth2/consent" in done.redirect_uri
    with pytest.raises(BadRequestError) as again:
        sdk.connect.complete_oauth2(external_auth_id=ext_id, user=UserObject(id="42", email="c@example.com"))
    assert again.value.code == "external_auth_session_already_completed"
    ext2 = (
        requests.get(
            f"{wos.url}/oauth2/authorize",
            params={"client_id": "client_cli", "redirect_uri": "http://127.0.0.1:9/cb"},
            allow_redirects=False,
            timeout=5,
        )
        .headers["Location"]
        .split("external_auth_id=")[1]
    )
    with pytest.raises(BadRequestError) as taken:
        sdk.connect.complete_oauth2(external_auth_id=ext2, user=UserObject(id="43", email="pat@example.com"))
    assert taken.value.code == "email_not_available"
    with pytest.raises(BadRequestError) as invalid:
        sdk.connect.complete_oauth2(external_auth_id=ext2, user=UserObject(id="43", email="not-an-email"))
    assert invalid.value.code == "invalid_email"
    with pytest.raises(NotFoundError):
        sdk.connect.complete_oauth2(external_auth_id="nope", user=UserObject(id="43", email="x@example.com"))
    assert_conforms(contract, wos)


def test_webhook_signatures_verify_with_the_sdk(sdk, wos):
    from workos_emulator.app import EmulatorApp

    seed(wos)
    data = EmulatorApp._connection_event_data(wos.store.connections["conn_ACME"])
    body = json.dumps(
        {"id": "event_1", "event": "connection.activated", "data": data, "created_at": "2026-01-01T00:00:00.000Z"}
    )
    header = EmulatorApp.sign_webhook("whsec_x", body)
    event = sdk.webhooks.verify_event(event_body=body, event_signature=header, secret="whsec_x")
    assert event.id == "event_1"
    with pytest.raises(ValueError):
        sdk.webhooks.verify_event(event_body=body, event_signature=header, secret="other")


def test_the_contract_check_catches_drift(contract):
    missing_field = {"method": "GET", "path": "/connections/conn_1", "status": 200, "body": {"id": "conn_1"}}
    assert any("'connection_type' is a required property" in p for p in contract.check(missing_field))
    wrong_error = {"method": "POST", "path": "/sso/token", "status": 400, "body": {"error": "made_up"}}
    assert contract.check(wrong_error)
    undocumented = {"method": "GET", "path": "/connections", "status": 418, "body": {}}
    assert contract.check(undocumented) == ["GET /connections -> 418: status not documented"]


def test_organizations_domains_invitations_and_sso_logout_through_the_sdk(sdk, wos, contract):
    seed(wos)
    orgs = sdk.organizations
    made = orgs.create_organization(name="Initech", external_id="initech-1")
    assert orgs.get_organization_by_external_id("initech-1").id == made.id
    assert orgs.update_organization(made.id, name="Initech Corp").name == "Initech Corp"

    domains = sdk.organization_domains
    domain = domains.create_organization_domain(domain="Initech.test", organization_id=made.id)
    assert (domain.domain, domain.state, domain.verification_strategy) == ("initech.test", "pending", "dns")
    assert domain.verification_token and domain.verification_prefix
    assert domains.verify_organization_domain(domain.id).state == "verified"
    with pytest.raises(BadRequestError) as again:
        domains.verify_organization_domain(domain.id)
    assert again.value.code == "domain_already_verified"
    assert [o.id for o in orgs.list_organizations(domains=["initech.test"]).data] == [made.id]
    with pytest.raises(workos.ConflictError):
        domains.create_organization_domain(domain="initech.test", organization_id="org_ACME")
    domains.delete_organization_domain(domain.id)
    with pytest.raises(NotFoundError):
        domains.get_organization_domain(domain.id)

    um = sdk.user_management
    existing = um.send_invitation(email="pat@example.com", organization_id=made.id, role_slug="admin")
    pending = sdk.organization_membership.list_organization_memberships(
        organization_id=made.id, statuses=["pending"]
    ).data
    assert [m.status for m in pending] == ["pending"]
    newcomer = um.send_invitation(email="New.Person@example.com", organization_id=made.id, expires_in_days=3)
    assert um.find_invitation_by_token(newcomer.token).id == newcomer.id
    assert [i.id for i in um.list_invitations(organization_id=made.id).data] == [newcomer.id, existing.id]
    with pytest.raises(BadRequestError) as twice:
        um.send_invitation(email="pat@example.com", organization_id=made.id)
    assert twice.value.code == "email_already_invited_to_organization"
    accepted = um.accept_invitation(existing.id)
    assert accepted.state == "accepted" and accepted.accepted_user_id
    member = sdk.organization_membership.list_organization_memberships(organization_id=made.id).data
    assert [(m.user_id, m.status, m.role.slug) for m in member] == [(accepted.accepted_user_id, "active", "admin")]
    revoked = um.revoke_invitation(newcomer.id)
    assert revoked.state == "revoked" and revoked.revoked_at
    with pytest.raises(BadRequestError) as gone:
        um.resend_invitation(newcomer.id)
    assert gone.value.code == "invite_revoked"

    url = sdk.sso.get_authorization_url(redirect_uri=REDIRECT, organization="org_ACME", state="s")
    profile = sdk.sso.get_profile_and_token(code=follow_hosted_sign_in(url, email="sam@acme.test")["code"]).profile
    logout = sdk.sso.authorize_logout(profile_id=profile.id)
    assert logout.logout_url.startswith(wos.url + "/sso/logout?token=")
    signed_out = requests.get(logout.logout_url, allow_redirects=False, timeout=5)
    assert signed_out.status_code == 302 and signed_out.headers["Location"] == wos.store.logout_redirect_uris[0]
    assert requests.get(logout.logout_url, allow_redirects=False, timeout=5).status_code == 404  # one use
    with pytest.raises(NotFoundError):
        sdk.sso.authorize_logout(profile_id="prof_missing")

    orgs.delete_organization(made.id)
    assert um.list_invitations(organization_id=made.id).data == []
    assert_conforms(contract, wos)


def test_webhook_endpoints_and_the_events_api_through_the_sdk(sdk, wos, contract):
    """Every event the emulator emits is in the Events API, in order, spec-valid; a consumer that
    was down catches up from its last event id."""
    seed(wos)
    hooks = sdk.webhooks
    endpoint = hooks.create_webhook_endpoint(endpoint_url="http://127.0.0.1:9/hooks", events=["user.created"])
    assert endpoint.secret and endpoint.status == "enabled"
    with pytest.raises(workos.ConflictError):
        hooks.create_webhook_endpoint(endpoint_url="http://127.0.0.1:9/hooks", events=["user.created"])
    assert hooks.update_webhook_endpoint(endpoint.id, status="disabled").status == "disabled"
    assert [e.id for e in hooks.list_webhook_endpoints().data] == [endpoint.id]
    hooks.delete_webhook_endpoint(endpoint.id)
    assert hooks.list_webhook_endpoints().data == []

    um = sdk.user_management
    pat = um.get_user(um.list_users(email="pat@example.com").data[0].id)
    auth = um.authenticate_with_code(code=wos.code("pat@example.com"))
    um.authenticate_with_refresh_token(refresh_token=auth.refresh_token)
    um.update_user(pat.id, first_name="Patricia")
    org = sdk.organizations.create_organization(name="Hooli")
    membership = sdk.organization_membership.create_organization_membership(user_id=pat.id, organization_id=org.id)
    sdk.organization_membership.deactivate_organization_membership(membership.id)
    um.send_invitation(email="someone@hooli.test", organization_id=org.id)
    kinds = [
        "user.created",
        "user.updated",
        "session.created",
        "organization.created",
        "organization_membership.created",
        "organization_membership.updated",
        "invitation.created",
        "authentication.password_succeeded",
        "authentication.oauth_succeeded",
    ]
    everything = list(sdk.events.list_events(events=kinds, limit=3).auto_paging_iter())
    ids = [e.id for e in everything]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    recorded = [e["id"] for e in wos.store.events if e["event"] in kinds]
    assert ids == recorded

    # a consumer that read up to the session event catches up with what came after, in order
    cursor = next(e.id for e in everything if e.event == "session.created")
    later = [e.event for e in sdk.events.list_events(events=kinds, after=cursor, limit=100).data]
    assert later == [
        "authentication.password_succeeded",
        "user.updated",
        "organization.created",
        "organization_membership.created",
        "organization_membership.updated",
        "invitation.created",
    ]
    assert [e.event for e in sdk.events.list_events(events=["invitation.created"], organization_id=org.id).data] == [
        "invitation.created"
    ]
    assert sdk.events.list_events(events=kinds, range_start="2999-01-01T00:00:00Z").data == []
    bad = requests.get(
        f"{wos.url}/events",
        params={"range_start": "yesterday"},
        headers={"Authorization": f"Bearer {wos.store.api_key}"},
        timeout=5,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "range_start"
    assert_conforms(contract, wos)


def test_users_email_verification_and_the_standalone_mfa_api_through_the_sdk(sdk, wos, contract):
    """Operations once missing: a user's `name`, verifying an email outside a sign-in, the
    standalone MFA API (enroll, challenge, verify), and WorkOS's answers to incomplete requests."""
    from workos_emulator import totp

    seed(wos)
    um, mfa = sdk.user_management, sdk.multi_factor_auth
    assert um.get_user(um.create_user(email="named@example.com", first_name="Ada", last_name="L").id).name == "Ada L"
    unverified = um.create_user(email="later@example.com", email_verified=False)
    assert um.send_verification_email(unverified.id).user.email == "later@example.com"
    code = wos.mail("later@example.com")["code"]
    with pytest.raises(BadRequestError) as wrong:
        um.verify_email(unverified.id, code="000000" if code != "000000" else "111111")
    assert wrong.value.code == "email_verification_code_incorrect"
    assert um.verify_email(unverified.id, code=code).user.email_verified is True
    with pytest.raises(BadRequestError) as again:
        um.send_verification_email(unverified.id)
    assert again.value.code == "email_already_verified"

    factor = mfa.enroll_factor(type="totp", totp_issuer="Gatehouse", totp_user="someone@example.com")
    assert factor.totp.secret and factor.totp.qr_code
    challenge = mfa.challenge_factor(factor.id)
    code = totp.code_at(factor.totp.secret, wos.store.now())
    wrong_code = f"{(int(code) + 1) % 10**6:06d}"
    assert mfa.verify_challenge(challenge.id, code=wrong_code).valid is False
    verified = mfa.verify_challenge(challenge.id, code=code)
    assert verified.valid is True and verified.challenge.id == challenge.id
    with pytest.raises(NotFoundError):
        mfa.verify_challenge(challenge.id, code=code)  # a verified challenge is spent

    headers = {"Authorization": f"Bearer {wos.store.api_key}"}
    no_user = requests.post(
        f"{wos.url}/user_management/organization_memberships",
        json={"organization_id": "org_ACME"},
        headers=headers,
        timeout=5,
    )
    assert no_user.status_code == 422 and no_user.json()["code"] == "invalid_request_parameters"
    no_grant = requests.post(f"{wos.url}/sso/token", data={"client_id": wos.store.client_id, "code": "x"}, timeout=5)
    assert no_grant.status_code == 422 and no_grant.json()["error"] == "invalid_request"
    assert_conforms(contract, wos)


def test_organization_api_keys_through_the_sdk(sdk, wos, contract):
    seed(wos)
    keys = sdk.api_keys
    made = keys.create_organization_api_key("org_ACME", name="ci", permissions=["widgets:read"])
    assert made.value.startswith("sk_") and made.obfuscated_value.endswith(made.value[-4:])
    assert [k.id for k in keys.list_organization_api_keys("org_ACME").data] == [made.id]
    assert keys.list_organization_api_keys("org_GLOBEX").data == []
    valid = keys.create_validation(value=made.value).api_key
    assert valid.id == made.id and valid.permissions == ["widgets:read"] and valid.last_used_at
    assert keys.create_validation(value="sk_unknown").api_key is None
    keys.delete_api_key(made.id)
    assert keys.create_validation(value=made.value).api_key is None
    with pytest.raises(NotFoundError):
        keys.delete_api_key(made.id)
    with pytest.raises(NotFoundError):
        keys.list_organization_api_keys("org_MISSING")
    events = [e["event"] for e in wos.store.events]
    assert events[-2:] == ["api_key.created", "api_key.revoked"]
    assert sdk.admin_portal.generate_link(organization="org_ACME", intent="sso").link.startswith(f"{wos.url}/portal")
    from workos.audit_logs.models import AuditLogEvent

    entry = AuditLogEvent.from_dict(
        {
            "action": "gatehouse.test",
            "occurred_at": "2026-12-02T10:00:00Z",
            "actor": {"id": "u1", "type": "user"},
            "targets": [{"id": "u1", "type": "user"}],
            "context": {"location": "127.0.0.1"},
        }
    )
    for _ in range(2):
        assert sdk.audit_logs.create_event(organization_id="org_ACME", event=entry, idempotency_key="k-1").success
    assert len(wos.store.audit_log_events) == 1
    assert_conforms(contract, wos)


def test_authkit_steps_through_the_sdk(sdk, wos, contract):
    """Email verification, MFA enrollment and challenge, magic auth, password reset and device
    authorization, each through the SDK's own calls, with the errors each can return."""
    from workos_emulator import totp
    from workos_emulator.areas.steps import MAX_ATTEMPTS
    from workos_integration.sdk import EmailVerificationRequiredError, MfaChallengeError, MfaEnrollmentError

    seed(wos)
    wos.add_user("new@steps.test", password="pw-steps-123", email_verified=False, mfa=True)
    um, mfa = sdk.user_management, sdk.multi_factor_auth
    with pytest.raises(EmailVerificationRequiredError) as verify:
        um.authenticate_with_password(email="new@steps.test", password="pw-steps-123")
    assert um.get_email_verification(verify.value.email_verification_id).email == "new@steps.test"
    with pytest.raises(BadRequestError) as wrong:
        um.authenticate_with_email_verification(
            code="000000" if wos.mail("new@steps.test")["code"] != "000000" else "111111",
            pending_authentication_token=verify.value.pending_authentication_token,
        )
    assert wrong.value.code == "invalid_one_time_code"
    with pytest.raises(MfaEnrollmentError) as enroll:
        um.authenticate_with_email_verification(
            code=wos.mail("new@steps.test")["code"],
            pending_authentication_token=verify.value.pending_authentication_token,
        )
    user_id = enroll.value.user["id"]
    factor = mfa.create_user_auth_factor(user_id, type="totp", totp_issuer="Gatehouse", totp_user="new@steps.test")
    secret = factor.authentication_factor.totp.secret
    assert factor.authentication_factor.totp.qr_code.startswith("data:image/svg+xml")
    auth = um.authenticate_with_totp(
        code=totp.code_at(secret, wos.store.now()),
        pending_authentication_token=enroll.value.pending_authentication_token,
        authentication_challenge_id=factor.authentication_challenge.id,
    )
    assert auth.user.email_verified is True

    with pytest.raises(MfaChallengeError) as challenge_required:
        um.authenticate_with_password(email="new@steps.test", password="pw-steps-123")
    [listed] = mfa.list_user_auth_factors(user_id).data
    assert challenge_required.value.authentication_factors[0]["id"] == listed.id == mfa.get_factor(listed.id).id
    challenge = mfa.challenge_factor(listed.id)
    token = challenge_required.value.pending_authentication_token
    for _attempt in range(MAX_ATTEMPTS):
        with pytest.raises(BadRequestError) as bad:
            um.authenticate_with_totp(
                code="12345x", pending_authentication_token=token, authentication_challenge_id=challenge.id
            )
    assert bad.value.code == "one_time_code_too_many_attempts"
    with pytest.raises(BadRequestError) as gone:
        um.authenticate_with_totp(
            code=totp.code_at(secret, wos.store.now()),
            pending_authentication_token=token,
            authentication_challenge_id=challenge.id,
        )
    assert gone.value.code == "invalid_pending_authentication_token"
    mfa.delete_factor(listed.id)
    assert mfa.list_user_auth_factors(user_id).data == []

    sent = um.create_magic_auth(email="pat@example.com")
    assert um.get_magic_auth(sent.id).email == "pat@example.com"
    with pytest.raises(BadRequestError) as wrong_magic:
        um.authenticate_with_magic_auth(code="abcdef", email="pat@example.com")
    assert wrong_magic.value.code == "invalid_one_time_code"
    magic = um.authenticate_with_magic_auth(code=wos.mail("pat@example.com")["code"], email="pat@example.com")
    assert magic.user.email == "pat@example.com" and magic.authentication_method == "MagicAuth"
    with pytest.raises(BadRequestError) as used:
        um.authenticate_with_magic_auth(code=wos.mail("pat@example.com")["code"], email="pat@example.com")
    assert used.value.code == "one_time_code_expired"

    reset = um.reset_password(email="pat@example.com")
    assert um.get_password_reset(reset.id).email == "pat@example.com"
    with pytest.raises(NotFoundError):
        um.reset_password(email="nobody@example.com")
    with pytest.raises(BadRequestError):
        um.confirm_password_reset(token=reset.password_reset_token, new_password="short")
    assert (
        um.confirm_password_reset(token=reset.password_reset_token, new_password="a-new-password").user.email
        == "pat@example.com"
    )
    with pytest.raises(BadRequestError):
        um.confirm_password_reset(token=reset.password_reset_token, new_password="a-new-password")
    assert (
        um.authenticate_with_password(email="pat@example.com", password="a-new-password").user.email
        == "pat@example.com"
    )

    device = um.create_device(client_id=sdk.client_id)
    assert device.verification_uri_complete.endswith(device.user_code)
    with pytest.raises(BadRequestError) as pending:
        um.authenticate_with_device_code(device_code=device.device_code)
    assert pending.value.error == "authorization_pending"
    with pytest.raises(BadRequestError) as slow:
        um.authenticate_with_device_code(device_code=device.device_code)
    assert slow.value.error == "slow_down"
    page = requests.get(device.verification_uri_complete, timeout=5)
    assert page.status_code == 200 and "Sign in device" in page.text
    approved = requests.post(
        f"{wos.url}/device",
        data={"user_code": device.user_code, "email": "pat@example.com", "password": "a-new-password"},
        timeout=5,
    )
    assert approved.status_code == 200, approved.text
    assert um.authenticate_with_device_code(device_code=device.device_code).user.email == "pat@example.com"
    denied = um.create_device(client_id=sdk.client_id)
    requests.post(f"{wos.url}/device", data={"user_code": denied.user_code, "decision": "deny"}, timeout=5)
    with pytest.raises(BadRequestError) as refused:
        um.authenticate_with_device_code(device_code=denied.device_code)
    assert refused.value.error == "access_denied"
    assert_conforms(contract, wos)


def test_directory_sync_through_the_sdk(sdk, wos, contract):
    seed(wos)
    wos.seed(
        directories=[
            {
                "id": "directory_ACME",
                "name": "Acme Okta",
                "organization": "org_ACME",
                "groups": ["Engineering", "Sales"],
                "users": [{"email": "sam@acme.test", "groups": ["Engineering"], "role": "member"}],
            }
        ]
    )
    ds = sdk.directory_sync
    assert [d.id for d in ds.list_directories(organization_id="org_ACME").data] == ["directory_ACME"]
    assert ds.list_directories(organization_id="org_GLOBEX").data == []
    assert ds.get_directory("directory_ACME").name == "Acme Okta"
    sam = ds.list_users(directory="directory_ACME").data[0]
    assert (sam.email, sam.state, [g.name for g in sam.groups]) == ("sam@acme.test", "active", ["Engineering"])
    assert ds.get_user(sam.id).role.slug == "member"
    assert {g.name for g in ds.list_groups(directory="directory_ACME").data} == {"Engineering", "Sales"}
    engineering = ds.list_groups(user=sam.id).data[0]
    assert ds.get_group(engineering.id).name == "Engineering"
    assert [u.id for u in ds.list_users(group=engineering.id).data] == [sam.id]
    with pytest.raises(NotFoundError):
        ds.get_user("directory_user_missing")

    # the identity provider's changes come out as the dsync events WorkOS sends
    made = requests.post(
        f"{wos.url}/_emulator/directories",
        json={"name": "Globex Entra", "organization": "org_GLOBEX", "type": "azure scim v2.0"},
        timeout=5,
    ).json()
    new = requests.post(
        f"{wos.url}/_emulator/directories/directory_ACME/users",
        json={"email": "new@acme.test", "groups": ["Sales"]},
        timeout=5,
    ).json()
    requests.patch(
        f"{wos.url}/_emulator/directory_users/{new['id']}", json={"state": "inactive", "groups": []}, timeout=5
    ).raise_for_status()
    requests.delete(f"{wos.url}/_emulator/directory_users/{new['id']}", timeout=5).raise_for_status()
    kinds = [
        "dsync.activated",
        "dsync.user.created",
        "dsync.group.user_added",
        "dsync.user.updated",
        "dsync.group.user_removed",
        "dsync.user.deleted",
        "dsync.deleted",
    ]
    ds.delete_directory(made["id"])
    with pytest.raises(NotFoundError):
        ds.get_directory(made["id"])
    events = sdk.events.list_events(events=kinds, limit=100).data
    assert [e.event for e in events] == kinds
    assert_conforms(contract, wos)


@pytest.mark.parametrize(
    "path, body",
    [
        ("/_emulator/directories", {"name": "X"}),
        ("/_emulator/directories", {"name": "X", "organization": "org_NOPE"}),
        ("/_emulator/directories/directory_ACME/users", {"first_name": "no email"}),
        ("/_emulator/directories/directory_ACME/users", {"email": "x@acme.test", "state": "sleeping"}),
        ("/_emulator/directories/directory_ACME/users", {"email": "x@acme.test", "groups": "Engineering"}),
    ],
)
def test_directory_control_refuses_bad_input_clearly(wos, path, body):
    seed(wos)
    wos.seed(directories=[{"id": "directory_ACME", "name": "Acme Okta", "organization": "org_ACME"}])
    response = requests.post(f"{wos.url}{path}", json=body, timeout=5)
    assert response.status_code == 422 and response.json()["code"] == "invalid_request_parameters"
