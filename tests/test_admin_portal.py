"""WorkOS's Admin Portal for an organization's admins: a link from the API, the organization page
or the Django admin; what the (emulated) portal sets up reaches Gatehouse through the events."""

import re

import pytest
import requests
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from sso import sync
from sso.models import Connection, Organization
from workos_integration import events

pytestmark = pytest.mark.django_db


def _seed(wos):
    wos.seed(organizations=[{"id": "org_ACME", "name": "Acme", "domains": ["acme.test"]}])
    boss = wos.add_user("boss@acme.test")
    wos.store.add_membership(boss["id"], "org_ACME", role="admin")
    staff = wos.add_user("staff@acme.test")
    wos.store.add_membership(staff["id"], "org_ACME", role="member")
    sync.sync_all()


def signed_in(wos, email):
    client = APIClient()
    body = client.post("/api/auth/workos/callback", {"code": wos.code(email)}, format="json").json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    return client


def portal_submit(link, **fields):
    page = requests.get(link, timeout=5)
    assert page.status_code == 200, page.text
    token = re.search(r"name='token' value='([^']+)'", page.text).group(1)
    return requests.post(link.split("?")[0], data={"token": token, **fields}, timeout=5)


def test_an_admin_verifies_a_domain_in_the_portal_and_gatehouse_sees_it(wos):
    _seed(wos)
    boss = signed_in(wos, "boss@acme.test")
    made = boss.post("/api/organization/portal-link", {"intent": "domain_verification"}, format="json")
    assert made.status_code == 200, made.content
    assert portal_submit(made.json()["link"], domain="acme-labs.test").status_code == 200
    events.catch_up()
    assert "acme-labs.test" in Organization.objects.get(workos_id="org_ACME").domains
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.PORTAL_LINK_CREATED)
    assert event.details == {"organization_id": "org_ACME", "intent": "domain_verification"}

    sso = boss.post("/api/organization/portal-link", {"intent": "sso"}, format="json").json()["link"]
    assert portal_submit(sso, name="Acme SAML").status_code == 200
    events.catch_up()
    assert Connection.objects.get(name="Acme SAML").organization.workos_id == "org_ACME"


def test_the_portal_is_for_admins_and_known_intents_only(wos):
    _seed(wos)
    refused = signed_in(wos, "staff@acme.test").post("/api/organization/portal-link", {"intent": "sso"}, format="json")
    assert refused.status_code == 403
    wrong = signed_in(wos, "boss@acme.test").post("/api/organization/portal-link", {"intent": "x"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["code"] == "validation_error"
    assert requests.get(f"{wos.url}/portal?token=forged", timeout=5).status_code == 404


def test_staff_open_the_portal_from_the_django_admin(admin_client, wos):
    _seed(wos)
    acme = Organization.objects.get(workos_id="org_ACME")
    url = f"/admin/organizations/organizationapikeys/{acme.pk}/change/"
    assert b'data-testid="portal"' in admin_client.get(url).content
    opened = admin_client.post(url, {"action": "portal", "intent": "dsync"})
    assert opened.status_code == 302 and opened["Location"].startswith(f"{wos.url}/portal?token=")
