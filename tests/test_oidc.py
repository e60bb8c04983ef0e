"""Google and Okta code exchange for existing users, against real OpenID provider processes."""

import time

import jwt
import pytest

from accounts.models import AuthSession, Identity, User
from fake_idp import FakeOIDC
from tests.conftest import free_port as _free_port

pytestmark = pytest.mark.django_db
SPA = "http://spa.test/oidc-callback"


@pytest.fixture
def google(google_idp, settings):
    settings.GOOGLE_CLIENT_ID = "google-client"
    settings.GOOGLE_CLIENT_SECRET = "google-secret"
    settings.GOOGLE_DISCOVERY_URL = f"{google_idp.url}/.well-known/openid-configuration"
    settings.GOOGLE_ALLOWED_REDIRECT_URIS = [SPA]
    settings.GOOGLE_HOSTED_DOMAIN = ""
    return google_idp


@pytest.fixture
def okta(okta_idp, settings):
    settings.OKTA_CLIENT_ID = "okta-client"
    settings.OKTA_CLIENT_SECRET = "okta-secret"
    settings.OKTA_ISSUER = okta_idp.url
    settings.OKTA_ALLOWED_REDIRECT_URIS = [SPA]
    return okta_idp


def post(api, provider, **body):
    return api.post(f"/api/auth/{provider}/", {"redirect_uri": SPA, **body}, format="json")


def test_google_existing_user_by_identity(api, google):
    user = User.objects.create_user("g@example.com")
    Identity.objects.create(user=user, provider="google", subject="g-sub-1")
    google.set_user("g-sub-1", email="g@example.com", email_verified=True, given_name="Gia")
    response = post(api, "google", code=google.code("g-sub-1", client_id="google-client"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"]["email"] == "g@example.com" and body["access_token"] and body["refresh_token"]
    assert AuthSession.objects.get().method == "google"
    assert User.objects.get().first_name == "Gia"


def test_okta_existing_user_by_verified_email_links_the_identity(api, okta):
    User.objects.create_user("o@example.com")
    okta.set_user("okta-sub-9", email="O@Example.com", email_verified=True)
    response = post(api, "okta", code=okta.code("okta-sub-9", client_id="okta-client"))
    assert response.status_code == 200, response.content
    identity = Identity.objects.get(provider="okta")
    assert (identity.subject, identity.user.email) == ("okta-sub-9", "o@example.com")


def test_unknown_person_is_refused_and_nothing_is_created(api, google):
    google.set_user("stranger", email="stranger@example.com", email_verified=True)
    response = post(api, "google", code=google.code("stranger", client_id="google-client"))
    assert response.status_code == 403
    assert response.json()["code"] == "account_not_found"
    assert User.objects.count() == 0 and Identity.objects.count() == 0


def test_unverified_email_is_refused(api, google):
    User.objects.create_user("unv@example.com")
    google.set_user("unv", email="unv@example.com", email_verified=False)
    response = post(api, "google", code=google.code("unv", client_id="google-client"))
    assert response.status_code == 403
    assert response.json()["code"] == "email_not_verified"
    assert Identity.objects.count() == 0


def test_hosted_domain_restriction(api, google, settings):
    settings.GOOGLE_HOSTED_DOMAIN = "corp.test"
    User.objects.create_user("h@gmail.test")
    google.set_user("hd-less", email="h@gmail.test", email_verified=True)
    response = post(api, "google", code=google.code("hd-less", client_id="google-client"))
    assert response.json()["code"] == "domain_not_allowed"
    User.objects.create_user("w@corp.test")
    google.set_user("hd-ok", email="w@corp.test", email_verified=True, hd="corp.test")
    assert post(api, "google", code=google.code("hd-ok", client_id="google-client")).status_code == 200


def test_code_reuse_is_invalid_grant(api, google):
    User.objects.create_user("r@example.com")
    google.set_user("r", email="r@example.com", email_verified=True)
    code = google.code("r", client_id="google-client")
    assert post(api, "google", code=code).status_code == 200
    again = post(api, "google", code=code)
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_grant"


def test_nonce_must_match(api, google):
    User.objects.create_user("n@example.com")
    google.set_user("n", email="n@example.com", email_verified=True)
    code = google.code("n", client_id="google-client", nonce="expected-nonce")
    response = post(api, "google", code=code, nonce="another-nonce")
    assert response.status_code == 401
    assert response.json()["code"] == "id_token_nonce_mismatch"
    ok = post(api, "google", code=google.code("n", client_id="google-client", nonce="n2"), nonce="n2")
    assert ok.status_code == 200


def test_redirect_uri_must_be_allowed(api, google):
    response = api.post("/api/auth/google/", {"code": "x", "redirect_uri": "https://evil.example/cb"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "redirect_uri_not_allowed"


def test_unconfigured_provider_is_404(api, settings):
    settings.OKTA_CLIENT_ID = ""
    response = post(api, "okta", code="x")
    assert response.status_code == 404
    assert response.json()["code"] == "provider_not_configured"


def test_provider_down_is_503(api, settings):
    settings.GOOGLE_CLIENT_ID = "google-client"
    settings.GOOGLE_ALLOWED_REDIRECT_URIS = [SPA]
    settings.GOOGLE_DISCOVERY_URL = f"http://127.0.0.1:{_free_port()}/.well-known/openid-configuration"
    response = post(api, "google", code="x")
    assert response.status_code == 503
    assert response.json()["code"] == "provider_unavailable"


# --- ID-token attacks, through a provider that returns the token we prepare ------------------


@pytest.fixture(scope="module")
def fake_server():
    server = FakeOIDC()
    yield server
    server.stop()


@pytest.fixture
def fake(fake_server, settings):
    settings.GOOGLE_CLIENT_ID = "fake-client"
    settings.GOOGLE_CLIENT_SECRET = "s"
    settings.GOOGLE_DISCOVERY_URL = f"{fake_server.url}/.well-known/openid-configuration"
    settings.GOOGLE_ALLOWED_REDIRECT_URIS = [SPA]
    settings.GOOGLE_HOSTED_DOMAIN = ""
    fake_server.token_status = 200
    User.objects.create_user("fake@example.com")
    from accounts.signin.oidc import metadata_cache

    metadata_cache.clear()  # keys as the provider publishes them now (a test may have rotated them)
    return fake_server


def _attack(api, fake, token):
    fake.next_id_token = token
    return post(api, "google", code="any")


def test_fake_provider_baseline_accepts_a_good_token(api, fake):
    response = _attack(api, fake, fake.sign(fake.claims()))
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "make, code",
    [
        (lambda f: f.sign(f.claims(), key=f.other_key), "id_token_invalid_signature"),
        (lambda f: f.sign(f.claims(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200)), "id_token_expired"),
        (
            lambda f: f.sign(f.claims(iat=int(time.time()) + 3600, exp=int(time.time()) + 7200)),
            "id_token_not_yet_valid",
        ),
        (lambda f: f.sign(f.claims(aud="someone-else")), "id_token_wrong_audience"),
        (lambda f: f.sign(f.claims(iss="https://evil.example")), "id_token_wrong_issuer"),
        (lambda f: jwt.encode(f.claims(), None, algorithm="none"), "id_token_invalid_signature"),
        (lambda f: _hs256_with_public_key(f), "id_token_invalid_signature"),
        (lambda f: _tampered(f), "id_token_invalid_signature"),
        (lambda f: f.sign(f.claims(sub=None)), "id_token_invalid"),
    ],
    ids=[
        "wrong-key",
        "expired",
        "not-yet-valid",
        "audience",
        "issuer",
        "alg-none",
        "hs-rs-confusion",
        "tampered",
        "no-sub",
    ],
)
def test_bad_id_tokens_are_refused(api, fake, make, code):
    response = _attack(api, fake, make(fake))
    assert response.status_code == 401, response.content
    assert response.json()["code"] == code
    assert AuthSession.objects.count() == 0


def _hs256_with_public_key(fake):
    from cryptography.hazmat.primitives import serialization

    pem = fake.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import base64
    import hashlib
    import hmac
    import json

    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "kid": "k1"}).encode()).rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(fake.claims()).encode()).rstrip(b"=")
    signature = base64.urlsafe_b64encode(hmac.new(pem, header + b"." + payload, hashlib.sha256).digest()).rstrip(b"=")
    return (header + b"." + payload + b"." + signature).decode()


def _tampered(fake):
    import base64
    import json

    header, payload, signature = fake.sign(fake.claims()).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["email"] = "admin@example.com"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_provider_error_status_is_503(api, fake):
    fake.token_status = 502
    response = post(api, "google", code="any")
    assert response.status_code == 503
    assert response.json()["code"] == "provider_unavailable"


def test_keys_are_fetched_once_per_cache_period(api, fake):
    from accounts.signin.oidc import metadata_cache

    metadata_cache.clear()
    before = fake.jwks_fetches
    for _ in range(20):
        assert _attack(api, fake, fake.sign(fake.claims())).status_code == 200
    assert fake.jwks_fetches - before == 1


def test_explicit_endpoints_without_discovery(api, fake_server, settings):
    settings.GOOGLE_CLIENT_ID = "fake-client"
    settings.GOOGLE_CLIENT_SECRET = "s"
    settings.GOOGLE_DISCOVERY_URL = ""
    settings.GOOGLE_TOKEN_URL = f"{fake_server.url}/token"
    settings.GOOGLE_JWKS_URL = f"{fake_server.url}/jwks"
    settings.GOOGLE_ALLOWED_REDIRECT_URIS = [SPA]
    settings.GOOGLE_HOSTED_DOMAIN = ""
    fake_server.token_status = 200
    User.objects.create_user("fake@example.com")
    fake_server.next_id_token = fake_server.sign(fake_server.claims(iss="https://accounts.google.com"))
    assert post(api, "google", code="any").status_code == 200
    fake_server.next_id_token = fake_server.sign(fake_server.claims())  # the fake's own issuer
    assert post(api, "google", code="any").json()["code"] == "id_token_wrong_issuer"


def test_okta_with_client_secret_post(api, okta, settings):
    settings.OKTA_TOKEN_AUTH_METHOD = "client_secret_post"
    User.objects.create_user("post@example.com")
    okta.set_user("post-sub", email="post@example.com", email_verified=True)
    assert post(api, "okta", code=okta.code("post-sub", client_id="okta-client")).status_code == 200


def test_a_rotated_key_without_kid_is_refetched_once(api, fake):
    from accounts.signin.oidc import metadata_cache

    metadata_cache.clear()
    assert _attack(api, fake, fake.sign(fake.claims(), kid=None)).status_code == 200
    fetched = fake.jwks_fetches
    fake.rotate()  # the provider's only key changes; our cached set still has the old one
    response = _attack(api, fake, fake.sign(fake.claims(), kid=None))
    assert response.status_code == 200, response.content
    assert fake.jwks_fetches == fetched + 1
    # a flood of tokens signed with keys the provider never published costs no more fetches
    for _ in range(5):
        forged = _attack(api, fake, fake.sign(fake.claims(), key=fake.other_key, kid=None))
        assert forged.json()["code"] == "id_token_invalid_signature"
    assert fake.jwks_fetches == fetched + 1


def test_an_unknown_kid_costs_at_most_one_fetch_per_cooldown(api, fake):
    from accounts.signin.oidc import metadata_cache

    metadata_cache.clear()
    assert _attack(api, fake, fake.sign(fake.claims())).status_code == 200
    fetched = fake.jwks_fetches
    for i in range(5):
        assert (
            _attack(api, fake, fake.sign(fake.claims(), kid=f"random-{i}")).json()["code"]
            == "id_token_invalid_signature"
        )
    assert fake.jwks_fetches <= fetched + 1
