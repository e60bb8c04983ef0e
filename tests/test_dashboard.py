"""The admin's dashboard: 30 days of sign-ins, refusals, throttles and deprovisionings as SVG
charts on the admin index (no script), with the sign-ins open now, filtered by organization."""

import pytest
from rest_framework.test import APIClient

from accounts import audit
from accounts.models import AuditEvent, User

pytestmark = pytest.mark.django_db


def test_the_admin_index_charts_what_happened(admin_client, settings):
    settings.GATEHOUSE_RATE_LIMITS = {"password_account": "1/m"}
    User.objects.create_user("pat@example.com", "pw-pat-12345", organization_id="org_ACME")
    api = APIClient()
    api.post("/api/token/", {"email": "pat@example.com", "password": "pw-pat-12345"}, format="json")
    api.post("/api/token/", {"email": "pat@example.com", "password": "x"}, format="json")
    audit.record(
        AuditEvent.Kind.USER_DEPROVISIONED, user=User.objects.get(email="pat@example.com"), reason="membership_removed"
    )
    page = admin_client.get("/admin/")
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="dashboard"' in html
    section = html.split('data-testid="dashboard"')[1].split("</div>")[0]
    assert section.count('role="img"') == 4 and "<script" not in section
    assert "password (1)" in html  # a sign-in by password, in the legend
    assert "password_account (1)" in html  # the throttled attempt, by limit
    assert "membership_removed (1)" in html
    assert 'data-testid="open-sign-ins">1<' in html  # pat's sign-in
    other = admin_client.get("/admin/", {"organization": "org_OTHER"}).content.decode()
    assert "password (1)" not in other and 'data-testid="open-sign-ins">0<' in other


def test_an_organizations_admin_page_shows_its_members_recent_sign_ins(admin_client, wos):
    from django.utils import timezone

    from sso.models import Organization

    wos.seed(organizations=[{"id": "org_RECENT", "name": "Recent"}, {"id": "org_OTHER", "name": "Other"}])
    for email, org in (("rhea@example.com", "org_RECENT"), ("otto@example.com", "org_OTHER")):
        person = wos.add_user(email)
        wos.store.add_membership(person["id"], org, role="admin")
        signed_in = APIClient().post("/api/auth/workos/callback", {"code": wos.code(email)}, format="json")
        assert signed_in.status_code == 200, signed_in.content
    mirrored = Organization.objects.create(workos_id="org_RECENT", name="Recent", last_synced_at=timezone.now())
    page = admin_client.get(f"/admin/sso/organization/{mirrored.pk}/change/")
    assert page.status_code == 200
    assert b'data-testid="recent-sign-ins"' in page.content and b"rhea@example.com" in page.content
    assert b"otto@example.com" not in page.content  # another organization's people stay out
    empty = Organization.objects.create(workos_id="org_EMPTY", name="Empty", last_synced_at=timezone.now())
    empty_page = admin_client.get(f"/admin/sso/organization/{empty.pk}/change/")
    assert b"No member has signed in here yet." in empty_page.content
