"""Organization API keys: an organization's admins create, list and revoke them (WorkOS holds
them), a key authenticates API calls (validated through WorkOS, trusted at most 30 s), revocation
ends it at once here and within 30 s elsewhere, bad keys are counted per address, and a named
permission is checked for keys and people alike. All through the emulator, over HTTP."""

import time

import pytest
import time_machine
import workos
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from accounts.authentication import AccessTokenAuthentication
from accounts.models import AuditEvent
from organizations.authentication import OrganizationAPIKeyAuthentication
from organizations.permissions import HasPermission
from workos_integration import events

pytestmark = pytest.mark.django_db


class WidgetsView(APIView):
    """A product's own endpoint: a person or a key with `widgets:read`."""

    authentication_classes = [OrganizationAPIKeyAuthentication, AccessTokenAuthentication]
    permission_classes = [HasPermission("widgets:read")]

    def get(self, request):
        return Response({"organization_id": request.user.organization_id})


urlpatterns = [path("widgets", WidgetsView.as_view()), path("", include("config.urls"))]


def _seed(wos):
    wos.seed(
        roles={"admin": ["widgets:read", "widgets:write"], "member": ["widgets:read"]},
        organizations=[{"id": "org_ACME", "name": "Acme"}, {"id": "org_OTHER", "name": "Other"}],
    )
    for email, role in (("boss@acme.test", "admin"), ("staff@acme.test", "member")):
        person = wos.add_user(email)
        wos.store.add_membership(person["id"], "org_ACME", role=role)


def signed_in(wos, email):
    client = APIClient()
    answer = client.post("/api/auth/workos/callback", {"code": wos.code(email)}, format="json")
    assert answer.status_code == 200, answer.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {answer.json()['access_token']}")
    return client


def with_key(value):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {value}")
    return client


def validations(wos):
    return len(wos.log("/api_keys/validations"))


@pytest.fixture
def boss(wos):
    _seed(wos)
    return signed_in(wos, "boss@acme.test")


def create(client, **body):
    return client.post("/api/organization/api-keys", body, format="json")


def test_an_organization_admin_creates_lists_uses_and_revokes_a_key(boss, wos):
    made = create(boss, name="billing export", permissions=["widgets:read"])
    assert made.status_code == 201, made.content
    key = made.json()
    assert key["value"].startswith("sk_") and key["obfuscated_value"].endswith(key["value"][-4:])
    assert key["organization_id"] == "org_ACME" and key["permissions"] == ["widgets:read"]
    listed = boss.get("/api/organization/api-keys").json()
    assert [k["id"] for k in listed] == [key["id"]] and "value" not in listed[0]
    created = AuditEvent.objects.get(kind=AuditEvent.Kind.API_KEY_CREATED)
    assert created.user.email == "boss@acme.test" and created.details["api_key_id"] == key["id"]

    caller = with_key(key["value"])
    me = caller.get("/api/auth/api-key")
    assert me.status_code == 200, me.content
    assert me.json() | {"created_at": None} == {
        "id": key["id"],
        "name": "billing export",
        "organization_id": "org_ACME",
        "permissions": ["widgets:read"],
        "created_at": None,
    }
    asked = validations(wos)
    assert caller.get("/api/auth/api-key").status_code == 200
    assert validations(wos) == asked  # the answer is cached

    assert boss.delete(f"/api/organization/api-keys/{key['id']}").status_code == 204
    refused = caller.get("/api/auth/api-key")  # at once, though its validation was cached
    assert refused.status_code == 401 and refused.json()["code"] == "api_key_invalid"
    revoked = AuditEvent.objects.get(kind=AuditEvent.Kind.API_KEY_REVOKED)
    assert revoked.user.email == "boss@acme.test" and revoked.details["name"] == "billing export"
    assert boss.get("/api/organization/api-keys").json() == []
    again = boss.delete(f"/api/organization/api-keys/{key['id']}")
    assert again.status_code == 404 and again.json()["code"] == "api_key_not_found"


def test_a_key_revoked_elsewhere_stops_within_30_seconds_or_at_once_with_its_event(boss, wos, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    sdk = workos.WorkOSClient(api_key=wos.store.api_key, client_id=wos.store.client_id, base_url=wos.url)
    first = create(boss, name="one").json()
    second = create(boss, name="two").json()
    for key in (first, second):
        assert with_key(key["value"]).get("/api/auth/api-key").status_code == 200

    sdk.api_keys.delete_api_key(first["id"])  # in WorkOS's dashboard, say
    assert with_key(first["value"]).get("/api/auth/api-key").status_code == 200  # still cached
    with time_machine.travel(time.time() + 31):
        assert with_key(first["value"]).get("/api/auth/api-key").json()["code"] == "api_key_invalid"

    sdk.api_keys.delete_api_key(second["id"])
    assert events.catch_up().outcomes.get("applied", 0) >= 1  # WorkOS's api_key.revoked event
    assert with_key(second["value"]).get("/api/auth/api-key").json()["code"] == "api_key_invalid"


def test_bad_keys_are_counted_per_address_and_then_workos_is_not_asked(wos, settings):
    settings.GATEHOUSE_RATE_LIMITS = {"api_key_ip": "3/m"}
    caller = with_key("sk_not_a_key")
    with time_machine.travel(time.time() // 60 * 60 + 1, tick=False):
        answers = [caller.get("/api/auth/api-key") for _ in range(3)]
        assert [(a.status_code, a.json()["code"]) for a in answers] == [(401, "api_key_invalid")] * 3
        asked = validations(wos)
        blocked = caller.get("/api/auth/api-key")
        assert blocked.status_code == 429 and blocked["Retry-After"]
        assert validations(wos) == asked
    assert APIClient().get("/api/auth/api-key").status_code == 401  # no key at all


def test_only_organization_admins_manage_keys_and_only_with_their_own_permissions(boss, wos):
    member = signed_in(wos, "staff@acme.test")
    refused = create(member, name="mine")
    assert refused.status_code == 403 and refused.json()["code"] == "organization_admin_required"
    assert member.get("/api/organization/api-keys").status_code == 403
    beyond = create(boss, name="too much", permissions=["widgets:read", "billing:write"])
    assert beyond.status_code == 403 and beyond.json()["code"] == "permission_not_grantable"
    assert beyond.json()["detail"] == {"permissions": ["billing:write"]}
    assert not wos.store.api_keys
    other = wos.add_user("other@other.test")
    wos.store.add_membership(other["id"], "org_OTHER", role="admin")
    key = create(boss, name="acme's").json()
    outsider = signed_in(wos, "other@other.test")
    stolen = outsider.delete(f"/api/organization/api-keys/{key['id']}")
    assert stolen.status_code == 404 and key["id"] in wos.store.api_keys
    # a key cannot manage keys
    assert create(with_key(key["value"]), name="child").status_code == 401


@pytest.mark.urls("tests.test_api_keys")
def test_a_named_permission_is_checked_for_keys_and_people_alike(boss, wos):
    reader = create(boss, name="reader", permissions=["widgets:read"]).json()
    nothing = create(boss, name="nothing").json()
    assert with_key(reader["value"]).get("/widgets").json() == {"organization_id": "org_ACME"}
    denied = with_key(nothing["value"]).get("/widgets")
    assert denied.status_code == 403 and denied.json()["code"] == "permission_missing"
    assert boss.get("/widgets").status_code == 200  # the admin role has widgets:read
    wos.store.roles["member"] = []
    assert signed_in(wos, "staff@acme.test").get("/widgets").status_code == 403


def test_a_key_never_opens_a_page_or_the_admin(boss, client, wos):
    key = create(boss, name="script").json()
    page = client.get("/account/sessions", HTTP_AUTHORIZATION=f"Bearer {key['value']}")
    assert page.status_code == 302 and "/auth/login" in page["Location"]
    admin = client.get("/admin/", HTTP_AUTHORIZATION=f"Bearer {key['value']}")
    assert admin.status_code == 302 and "/admin/login/" in admin["Location"]
    me = with_key(key["value"]).get("/api/auth/me")
    assert me.status_code == 401  # the person endpoints take people's tokens only


def test_staff_manage_an_organizations_keys_in_the_admin(admin_client, wos):
    from sso import sync

    _seed(wos)
    sync.sync_all()
    from sso.models import Organization

    acme = Organization.objects.get(workos_id="org_ACME")
    url = f"/admin/organizations/organizationapikeys/{acme.pk}/change/"
    made = admin_client.post(
        url, {"action": "create", "name": "ops", "permissions": "widgets:read, reports:read"}, follow=True
    )
    assert made.status_code == 200, made.content
    value, key_id = made.context["new_key"]["value"], made.context["new_key"]["id"]
    assert value.encode() in made.content
    assert b"sk_..." in admin_client.get(url).content and value.encode() not in admin_client.get(url).content
    assert with_key(value).get("/api/auth/api-key").json()["permissions"] == ["widgets:read", "reports:read"]
    revoked = admin_client.post(url, {"action": "revoke", "key_id": key_id}, follow=True)
    assert b"Revoked ops" in revoked.content
    assert with_key(value).get("/api/auth/api-key").json()["code"] == "api_key_invalid"
    kinds = list(AuditEvent.objects.filter(user__email="admin@example.com").values_list("kind", flat=True))
    assert sorted(kinds) == ["api_key_created", "api_key_revoked"]
