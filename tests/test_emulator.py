"""Emulator behaviour beyond shapes: PKCE, single-use codes, rotation, keys, allowlists, control."""

import base64
import hashlib
import secrets

import jwt
import pytest
import requests
import workos
from workos import AuthenticationError, BadRequestError

from tests.helpers import follow_hosted_sign_in

REDIRECT = "http://testserver/auth/callback"


@pytest.fixture
def sdk(wos):
    client = workos.WorkOSClient(
        api_key=wos.store.api_key, client_id=wos.store.client_id, base_url=wos.url, max_retries=0
    )
    yield client
    client.close()


def _pkce():
    verifier = secrets.token_urlsafe(40)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def test_pkce_right_wrong_missing(sdk, wos):
    wos.add_user("p@example.com", password="pw-p-123456")
    verifier, challenge = _pkce()
    url = sdk.user_management.get_authorization_url(
        redirect_uri=REDIRECT, provider="authkit", state="s", code_challenge=challenge, code_challenge_method="S256"
    )
    right = follow_hosted_sign_in(url, email="p@example.com", password="pw-p-123456")["code"]
    assert sdk.user_management.authenticate_with_code(code=right, code_verifier=verifier).user.email == "p@example.com"
    for bad_verifier in ("wrong-verifier-value-that-is-long-enough-000", None):
        code = follow_hosted_sign_in(url, email="p@example.com", password="pw-p-123456")["code"]
        kwargs = {"code_verifier": bad_verifier} if bad_verifier else {}
        with pytest.raises(BadRequestError) as refused:
            sdk.user_management.authenticate_with_code(code=code, **kwargs)
        assert refused.value.error == "invalid_grant"


def test_hosted_page_rejects_wrong_password_and_unknown_redirect(sdk, wos):
    wos.add_user("p@example.com", password="pw-p-123456")
    url = sdk.user_management.get_authorization_url(redirect_uri=REDIRECT, provider="authkit")
    page = requests.get(url, timeout=5)
    assert "Continue as p@example.com" in page.text
    with pytest.raises(AssertionError):
        follow_hosted_sign_in(url, email="p@example.com", password="wrong")
    evil = sdk.user_management.get_authorization_url(redirect_uri="https://evil.example/cb", provider="authkit")
    assert requests.get(evil, timeout=5).status_code == 400


def test_auto_mode_redirects_at_once(sdk, wos):
    wos.add_user("auto@example.com")
    wos.store.auto_login = "auto@example.com"
    url = sdk.user_management.get_authorization_url(redirect_uri=REDIRECT, provider="authkit", state="st")
    response = requests.get(url, allow_redirects=False, timeout=5)
    assert (
        response.status_code == 302
        and "code=" in response.headers["Location"]
        and "state=st" in response.headers["Location"]
    )


def test_access_token_claims_and_jwks(sdk, wos):
    wos.seed(
        organizations=[{"id": "org_A", "name": "A"}],
        users=[{"email": "c@example.com", "organizations": ["org_A"], "role": "admin"}],
    )
    auth = sdk.user_management.authenticate_with_code(code=wos.code("c@example.com"))
    key = jwt.PyJWKClient(sdk.user_management.get_jwks_url()).get_signing_key_from_jwt(auth.access_token)
    claims = jwt.decode(auth.access_token, key.key, algorithms=["RS256"], options={"verify_aud": False})
    assert claims["sub"] == auth.user.id
    assert claims["sid"].startswith("session_")
    assert (claims["org_id"], claims["role"], claims["roles"]) == ("org_A", "admin", ["admin"])
    assert {"jti", "iat", "exp", "iss", "permissions"} <= set(claims)


def test_refresh_rotation_and_revoked_session(sdk, wos):
    wos.add_user("r@example.com")
    first = sdk.user_management.authenticate_with_code(code=wos.code("r@example.com"))
    second = sdk.user_management.authenticate_with_refresh_token(refresh_token=first.refresh_token)
    assert second.refresh_token != first.refresh_token
    sid = jwt.decode(second.access_token, options={"verify_signature": False})["sid"]
    sdk.user_management.revoke_session(session_id=sid)
    with pytest.raises(BadRequestError):
        sdk.user_management.authenticate_with_refresh_token(refresh_token=second.refresh_token)


def test_api_key_is_required(wos):
    bad = workos.WorkOSClient(api_key="sk_wrong", client_id=wos.store.client_id, base_url=wos.url, max_retries=0)
    with pytest.raises(AuthenticationError):
        bad.sso.list_connections()
    assert requests.get(f"{wos.url}/connections", timeout=5).status_code == 401


def test_client_secret_is_checked(wos):
    wos.add_user("s@example.com")
    response = requests.post(
        f"{wos.url}/user_management/authenticate",
        json={
            "grant_type": "authorization_code",
            "code": wos.code("s@example.com"),
            "client_id": wos.store.client_id,
            "client_secret": "sk_wrong",
        },
        timeout=5,
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_client"


def test_sso_token_accepts_form_bodies(wos):
    wos.seed(
        organizations=[{"id": "org_F", "name": "F"}],
        connections=[{"id": "conn_F", "name": "F", "organization": "org_F", "profiles": [{"email": "f@f.test"}]}],
    )
    code = wos.code("f@f.test", kind="sso", connection_id="conn_F")
    response = requests.post(
        f"{wos.url}/sso/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": wos.store.client_id,
            "client_secret": wos.store.api_key,
        },
        timeout=5,
    )
    assert response.status_code == 200 and response.json()["profile"]["email"] == "f@f.test"


def test_sso_authorize_errors_come_back_on_the_redirect(sdk, wos):
    url = sdk.sso.get_authorization_url(redirect_uri=REDIRECT, organization="org_NOPE", state="z")
    response = requests.get(url, allow_redirects=False, timeout=5)
    assert response.status_code == 302
    assert "error=organization_invalid" in response.headers["Location"] and "state=z" in response.headers["Location"]


def test_error_injection_latency_and_times(sdk, wos):
    requests.post(
        f"{wos.url}/_emulator/errors",
        json={"path": "/connections", "status": 429, "headers": {"Retry-After": "3"}, "times": 1},
        timeout=5,
    )
    with pytest.raises(workos.RateLimitExceededError) as limited:
        sdk.sso.list_connections()
    assert limited.value.retry_after == 3
    assert sdk.sso.list_connections().data == []  # the injection was used up


def test_reset_and_request_log(wos):
    wos.add_user("x@example.com")
    requests.get(f"{wos.url}/connections", headers={"Authorization": f"Bearer {wos.store.api_key}"}, timeout=5)
    assert [e["path"] for e in wos.log()] == ["/connections"]
    requests.post(f"{wos.url}/_emulator/reset", timeout=5)
    assert wos.store.users == {}


def test_cli_starts_with_the_demo_seed_for_the_apps_url_and_webhook():
    import subprocess
    import sys

    command = [
        sys.executable,
        "-m",
        "workos_emulator",
        "--port",
        "0",
        "--seed",
        "workos_emulator/demo.yaml",
        "--app-url",
        "http://127.0.0.1:8010",
    ]
    command += ["--webhook", "http://127.0.0.1:8010/webhooks/workos", "--webhook-secret", "whsec_mine"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("WorkOS emulator on http://127.0.0.1:")
        url = line.split()[-1]
        assert "WORKOS_API_KEY=sk_test_emulator" in proc.stdout.readline()
        assert demo_counts() in proc.stdout.readline()
        assert "webhooks to http://127.0.0.1:8010/webhooks/workos signed with the one given" in proc.stdout.readline()
        headers = {"Authorization": "Bearer sk_test_emulator"}
        [endpoint] = requests.get(f"{url}/webhook_endpoints", headers=headers, timeout=5).json()["data"]
        assert endpoint["endpoint_url"] == "http://127.0.0.1:8010/webhooks/workos"
        authorize = requests.get(
            f"{url}/user_management/authorize",
            params={
                "client_id": "client_emulator",
                "redirect_uri": "http://localhost:8010/auth/callback",
                "response_type": "code",
            },
            timeout=5,
        )
        assert authorize.status_code == 200  # the demo's redirect URIs follow the app's port, on both host names
    finally:
        proc.terminate()
        proc.wait(5)


# --- referential integrity and hostile input ------------------------------------------------


def _api(wos, method, path, **kwargs):
    return requests.request(
        method, f"{wos.url}{path}", headers={"Authorization": f"Bearer {wos.store.api_key}"}, timeout=5, **kwargs
    )


def test_deleting_a_user_takes_their_memberships_and_sessions_with_them(sdk, wos):
    wos.seed(organizations=[{"id": "org_DEL", "name": "Del"}])
    user = wos.add_user("gone@example.com", password="pw-gone-12345", organizations=["Del"])
    signed_in = sdk.user_management.authenticate_with_password(email="gone@example.com", password="pw-gone-12345")
    assert _api(wos, "DELETE", f"/user_management/users/{user['id']}").status_code == 200
    assert (
        _api(wos, "GET", "/user_management/organization_memberships", params={"organization_id": "org_DEL"}).json()[
            "data"
        ]
        == []
    )
    assert _api(wos, "GET", f"/user_management/users/{user['id']}").status_code == 404
    with pytest.raises(BadRequestError) as refused:
        sdk.user_management.authenticate_with_refresh_token(refresh_token=signed_in.refresh_token)
    assert refused.value.status_code == 400


def test_deleting_an_organization_takes_its_memberships_and_connections(sdk, wos):
    wos.seed(
        organizations=[{"id": "org_GO", "name": "Go", "domains": ["go.test"]}],
        connections=[{"id": "conn_GO", "name": "Go", "organization": "org_GO"}],
    )
    user = wos.add_user("member@go.test", organizations=["Go"])
    assert _api(wos, "DELETE", "/organizations/org_GO").status_code in (200, 202, 204)
    assert _api(wos, "GET", "/connections/conn_GO").status_code == 404
    assert (
        _api(wos, "GET", "/user_management/organization_memberships", params={"user_id": user["id"]}).json()["data"]
        == []
    )


def test_organizations_are_filtered_by_comma_joined_domains_and_search(sdk, wos):
    wos.seed(
        organizations=[
            {"name": "Acme", "domains": ["a.test"]},
            {"name": "Beta", "domains": ["b.test"]},
            {"name": "Gamma", "domains": ["c.test"]},
        ]
    )
    found = sdk.organizations.list_organizations(domains=["a.test", "b.test"])
    assert sorted(o.name for o in found.data) == ["Acme", "Beta"]
    assert [o["name"] for o in _api(wos, "GET", "/organizations", params={"search": "gam"}).json()["data"]] == ["Gamma"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/user_management/users", {"email": ["x@example.com"]}, 422),
        ("POST", "/user_management/users", {"email": "x@example.com", "first_name": {"a": 1}}, 422),
        ("POST", "/user_management/users", {"email": "x@example.com", "metadata": {"k": 1}}, 422),
        ("POST", "/user_management/sessions/revoke", {"session_id": ["s"]}, 400),
        ("POST", "/user_management/sessions/revoke", "[[[[", 400),
        ("POST", "/user_management/authenticate", {"grant_type": "password", "email": 5, "password": "x"}, 422),
        ("POST", "/user_management/users", "{not json", 422),
        ("POST", "/user_management/users", "[" * 50_000 + "]" * 50_000, 422),
    ],
)
def test_hostile_bodies_get_the_documented_errors_not_500(wos, method, path, body, status):
    kwargs = (
        {"json": body}
        if not isinstance(body, str)
        else {
            "data": body,
            "headers": {"Content-Type": "application/json", "Authorization": f"Bearer {wos.store.api_key}"},
        }
    )
    response = (
        _api(wos, method, path, **kwargs)
        if "json" in kwargs
        else requests.request(method, f"{wos.url}{path}", timeout=5, **kwargs)
    )
    assert response.status_code == status, response.text
    assert "message" in response.json()


def test_a_user_update_stores_only_values_of_the_right_type(wos):
    user = wos.add_user("typed@example.com")
    assert _api(wos, "PUT", f"/user_management/users/{user['id']}", json={"locale": 7}).status_code == 422
    assert (
        _api(wos, "PUT", f"/user_management/users/{user['id']}", json={"locale": "fr-FR"}).json()["locale"] == "fr-FR"
    )
    assert _api(wos, "GET", f"/user_management/users/{user['id']}").json()["locale"] == "fr-FR"


# --- state: the state file, export and import ------------------------------------------------


def _server(state_file=None):
    from workos_emulator.server import EmulatorServer

    return EmulatorServer(port=0, quiet=True, state_file=state_file).start()


def _sdk(server):
    return workos.WorkOSClient(
        api_key=server.store.api_key, client_id=server.store.client_id, base_url=server.url, max_retries=0
    )


def test_the_state_file_keeps_users_sessions_and_keys_across_a_restart(tmp_path):
    state = tmp_path / "emulator.json"
    first = _server(state)
    try:
        requests.post(
            f"{first.url}/_emulator/seed",
            json={"users": [{"email": "kept@example.com", "password": "pw-kept-1234"}]},
            timeout=5,
        )
        auth = _sdk(first).user_management.authenticate_with_password(email="kept@example.com", password="pw-kept-1234")
        kid = first.app.key.kid
    finally:
        first.stop()
    second = _server(state)
    try:
        um = _sdk(second).user_management
        assert [u.email for u in um.list_users().data] == ["kept@example.com"]
        refreshed = um.authenticate_with_refresh_token(refresh_token=auth.refresh_token)  # the session survived
        assert (
            jwt.get_unverified_header(refreshed.access_token)["kid"]
            == kid
            == um.get_jwks(second.store.client_id).keys[0].kid
        )
        assert [e["event"] for e in second.store.events][:2] == ["session.created", "authentication.password_succeeded"]
    finally:
        second.stop()


def test_export_and_import_replay_a_state_elsewhere(wos):
    wos.seed(users=[{"email": "replay@example.com", "password": "pw-replay-123"}])
    exported = requests.get(f"{wos.url}/_emulator/state/export", timeout=5).json()
    other = _server()
    try:
        bad = requests.post(f"{other.url}/_emulator/state/import", json={"users": "nope"}, timeout=5)
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_state"
        assert other.store.users == {}  # a refused import changes nothing
        done = requests.post(f"{other.url}/_emulator/state/import", json=exported, timeout=5)
        assert done.status_code == 200, done.text
        auth = _sdk(other).user_management.authenticate_with_password(
            email="replay@example.com", password="pw-replay-123"
        )
        assert auth.user.email == "replay@example.com"
    finally:
        other.stop()


def test_cli_state_file_is_resumed_instead_of_the_seed(tmp_path):
    import subprocess
    import sys

    state = tmp_path / "state.json"
    for expected in ("kept in", "resumed from"):
        command = [
            sys.executable,
            "-m",
            "workos_emulator",
            "--port",
            "0",
            "--seed",
            "workos_emulator/demo.yaml",
            "--state",
            str(state),
        ]
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        try:
            lines = [proc.stdout.readline() for _ in range(4)]
            assert f"state {expected} {state}" in lines[2], lines
            assert demo_counts() in lines[3]
        finally:
            proc.terminate()
            proc.wait(5)
    state.write_text("{not json")
    broken = subprocess.run(
        [sys.executable, "-m", "workos_emulator", "--port", "0", "--state", str(state)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert broken.returncode != 0 and "cannot load state file" in broken.stderr


def test_the_invitation_link_shows_the_invitation_and_accepts_it(sdk, wos):
    wos.seed(organizations=[{"id": "org_INV", "name": "Invitech"}])
    invitation = sdk.user_management.send_invitation(
        email="guest@example.com", organization_id="org_INV", role_slug="admin"
    )
    page = requests.get(invitation.accept_invitation_url, timeout=5)
    assert page.status_code == 200 and "join Invitech" in page.text
    accepted = requests.post(f"{wos.url}/invite", data={"invitation_token": invitation.token}, timeout=5)
    assert "Invitation accepted" in accepted.text
    user = wos.store.user_by_email("guest@example.com")
    assert [m["role"]["slug"] for m in wos.store.memberships_of(user["id"])] == ["admin"]
    assert sdk.user_management.get_invitation(invitation.id).state == "accepted"
    assert requests.get(f"{wos.url}/invite", params={"invitation_token": "forged"}, timeout=5).status_code == 404


def test_the_emulator_docs_list_every_operation_the_emulator_implements():
    import re
    from pathlib import Path

    from workos_emulator import EmulatorApp

    readme = Path(__file__).resolve().parent.parent.joinpath("docs", "emulator.md").read_text()
    section = readme[readme.index("# The WorkOS emulator") : readme.index("The control surface under")]
    listed = set(re.findall(r"`(?:[A-Z]+ )+(/[^`\s]*)`", re.sub(r"\{[^}]+\}", "{}", section)))
    routes = {
        re.sub(r"<[^>]+>", "{}", rule.rule)
        for rule in EmulatorApp().url_map.iter_rules()
        if not rule.rule.startswith("/_emulator/")
    }
    pages = {"/invite", "/device", "/portal"}  # hosted pages, named in prose
    assert routes - pages - listed == set()
    assert listed - routes == set()


def test_metadata_beyond_workos_limits_is_refused(wos):
    headers = {"Authorization": f"Bearer {wos.store.api_key}"}
    for metadata in ({"k": "x" * 601}, {"k" * 41: "v"}, {f"k{i}": "v" for i in range(51)}):
        response = requests.post(
            f"{wos.url}/organizations", json={"name": "Acme", "metadata": metadata}, headers=headers, timeout=5
        )
        assert response.status_code == 422 and response.json()["code"] == "invalid_request_parameters"
    assert (
        requests.post(
            f"{wos.url}/organizations", json={"name": "Acme", "metadata": {"k": "x" * 600}}, headers=headers, timeout=5
        ).status_code
        == 201
    )


def demo_counts():
    """What the emulator says it loaded from the demo seed."""
    import yaml

    with open("workos_emulator/demo.yaml") as seed:
        text = seed.read()
    demo = yaml.safe_load(
        text.replace("{app_url_localhost}", "http://localhost:8000").replace("{app_url}", "http://127.0.0.1:8000")
    )
    users, organizations, connections = len(demo["users"]), len(demo["organizations"]), len(demo["connections"])
    return f"{users} users, {organizations} organizations, {connections} connections"
