"""GATEHOUSE_API_STYLE: a frontend written to seed 003's contract works unchanged (camel style),
requests are read in both spellings, and the schema names what is in force."""

import pytest
import requests

from accounts.models import User
from tests.conftest import SPA_CALLBACK
from tests.helpers import follow_hosted_sign_in

pytestmark = pytest.mark.django_db

SESSION_CONFIG = {
    "enabled",
    "idleTimeoutMinutes",
    "tokenExpiryHours",
    "warningTimeMinutes",
    "idleTrackingEnabled",
    "ssoSilentRenewalEnabled",
    "ssoFallbackBehavior",
    "passwordSilentRenewalEnabled",
    "passwordFallbackBehavior",
}
USER = {"id", "email", "fullName", "organizationId", "accessRole"}


class Seed003Client:
    """What an existing frontend does, written from seed 003's text alone: it posts the callback
    with `organizationId`, signs in with `/api/auth/login`, keeps `token` and `refreshToken`,
    and reads `sessionConfig` and the compact user."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.http = requests.Session()
        self.session = None

    def start(self):
        answer = self.http.get(
            f"{self.base_url}/api/auth/workos/authorize", params={"redirectUri": SPA_CALLBACK}, timeout=10
        )
        assert answer.status_code == 200, answer.text
        return {"authorization_url": answer.json()["authorizationUrl"], "state": answer.json()["state"]}

    def callback(self, code, state, organization_id=None, error=None):
        body = {"code": code, "state": state, "redirect_uri": SPA_CALLBACK}
        if organization_id:
            body["organizationId"] = organization_id
        if error:
            body = {"error": error, "state": state}
        return self._signed_in(self.http.post(f"{self.base_url}/api/auth/workos/callback", json=body, timeout=10))

    def login(self, email, password):
        body = {"email": email, "password": password}
        return self._signed_in(self.http.post(f"{self.base_url}/api/auth/login", json=body, timeout=10))

    def refresh(self):
        body = {"refreshToken": self.session["refreshToken"]}
        return self._signed_in(self.http.post(f"{self.base_url}/api/token/refresh/", json=body, timeout=10))

    def me(self):
        headers = {"Authorization": f"Bearer {self.session['token']}"}
        return self.http.get(f"{self.base_url}/api/auth/me", headers=headers, timeout=10)

    def _signed_in(self, answer):
        if answer.status_code == 200:
            self.session = {**(self.session or {}), **answer.json()}
        return answer


@pytest.fixture
def camel(settings):
    settings.GATEHOUSE_API_STYLE = "camel"


def test_a_seed_003_client_signs_in_refreshes_and_reads_its_session_config(live_server, wos, camel):
    wos.seed(organizations=[{"id": "org_ACME", "name": "Acme", "domains": ["acme.example"]}])
    person = wos.add_user("admin@acme.example", first_name="Acme", last_name="Admin", password="pw-Acme-1")
    wos.store.add_membership(person["id"], "org_ACME", role="admin")
    client = Seed003Client(live_server.url)

    started = client.start()
    back = follow_hosted_sign_in(started["authorization_url"], email="admin@acme.example", password="pw-Acme-1")
    answer = client.callback(back["code"], back["state"], organization_id="org_ACME")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {"token", "refreshToken", "sessionConfig", "user"} <= set(body)
    assert not {"access_token", "refresh_token", "session_config"} & set(body)
    assert set(body["sessionConfig"]) >= SESSION_CONFIG
    assert body["sessionConfig"]["tokenExpiryHours"] == 8 and body["sessionConfig"]["idleTimeoutMinutes"] == 30
    assert set(body["user"]) >= USER
    assert body["user"] | {"id": None} == body["user"] | {
        "id": None,
        "email": "admin@acme.example",
        "fullName": "Acme Admin",
        "organizationId": "org_ACME",
        "accessRole": "ADMIN",
    }
    assert isinstance(body["user"]["id"], str)
    assert client.me().json()["accessRole"] == "ADMIN"

    first_refresh_token = client.session["refreshToken"]
    refreshed = client.refresh()
    assert refreshed.status_code == 200, refreshed.text
    assert {"token", "refreshToken", "sessionConfig"} <= set(refreshed.json())
    assert client.session["refreshToken"] != first_refresh_token
    assert set(refreshed.json()["sessionConfig"]) >= SESSION_CONFIG
    assert client.me().status_code == 200

    # a provider's error short-circuits with a 400; errors keep {code, message}
    refused = client.callback("", client.start()["state"], error="access_denied")
    assert refused.status_code == 400
    assert {"code", "message"} <= set(refused.json()) and refused.json()["code"] == "sign_in_cancelled"


def test_a_seed_003_client_signs_in_with_email_and_password(live_server, wos, camel):
    User.objects.create_user("pw@example.com", "a-good-password-1", first_name="Pat")
    client = Seed003Client(live_server.url)
    answer = client.login("pw@example.com", "a-good-password-1")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {"token", "refreshToken", "sessionConfig", "user"} <= set(body)
    assert body["user"]["fullName"] == "Pat" and body["user"]["organizationId"] is None
    assert body["user"]["accessRole"] is None
    assert client.refresh().status_code == 200
    wrong = client.login("pw@example.com", "nope")
    assert wrong.status_code == 401 and set(wrong.json()) >= {"code", "message"}


def test_a_new_person_is_placed_by_the_camel_organization_hint(api, wos, camel):
    wos.seed(organizations=[{"id": "org_ACME", "name": "Acme", "domains": ["acme.example"]}])
    wos.add_user("new@acme.example")
    answer = api.post(
        "/api/auth/workos/callback", {"code": wos.code("new@acme.example"), "organizationId": "org_ACME"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["user"]["organizationId"] == "org_ACME"
    assert User.objects.get().organization_id == "org_ACME"


def test_snake_style_is_the_default_and_reads_camel_requests(api, wos):
    wos.seed(organizations=[{"id": "org_ACME", "name": "Acme", "domains": ["acme.example"]}])
    wos.add_user("new@acme.example")
    answer = api.post(
        "/api/auth/workos/callback", {"code": wos.code("new@acme.example"), "organizationId": "org_ACME"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert {"access_token", "refresh_token", "session_config"} <= set(body)
    assert body["user"]["organization_id"] == "org_ACME"
    refreshed = api.post("/api/token/refresh/", {"refreshToken": body["refresh_token"]}, format="json")
    assert refreshed.status_code == 200 and set(refreshed.json()) >= {"access", "refresh", "session_config"}


def test_both_spellings_of_one_field_must_agree(api, wos):
    answer = api.post(
        "/api/auth/workos/callback",
        {"code": "x", "organizationId": "org_A", "organization_id": "org_B"},
        format="json",
    )
    assert answer.status_code == 400 and answer.json()["code"] == "parse_error"
    assert "organizationId" in answer.json()["message"]
    refresh = api.post("/api/token/refresh/", {"refresh": "a", "refresh_token": "b"}, format="json")
    assert refresh.status_code == 400 and refresh.json()["code"] == "validation_error"


def test_the_token_endpoint_and_steps_answer_in_camel_style(api, wos, camel):
    User.objects.create_user("pw@example.com", "a-good-password-1")
    pair = api.post("/api/token/", {"email": "pw@example.com", "password": "a-good-password-1"}, format="json")
    assert pair.status_code == 200 and {"token", "refreshToken", "sessionConfig"} <= set(pair.json())
    device = api.post("/api/auth/device", {}, format="json")
    assert device.status_code == 200, device.content
    assert {"deviceCode", "userCode", "verificationUri", "expiresIn", "interval"} <= set(device.json())


@pytest.mark.parametrize("style", ["snake", "camel"])
def test_the_schema_shows_the_style_in_force(api, settings, style):
    settings.GATEHOUSE_API_STYLE = style
    schema = api.get("/api/schema.json").json()["components"]["schemas"]
    pair, user = schema["TokenPairResponse"]["properties"], schema["User"]["properties"]
    config = schema["SessionConfig"]["properties"]
    if style == "camel":
        assert {"token", "refreshToken", "sessionConfig", "user"} <= set(pair)
        assert set(user) >= USER and set(config) >= SESSION_CONFIG
        assert "organizationId" in schema["CallbackRequest"]["properties"]
    else:
        assert {"access_token", "refresh_token", "session_config", "user"} <= set(pair)
        assert {"organization_id", "role"} <= set(user) and "idle_timeout_minutes" in config
        assert "organization_id" in schema["CallbackRequest"]["properties"]
