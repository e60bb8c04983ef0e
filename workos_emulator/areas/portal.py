"""The Admin Portal: a link for an organization's IT admin (`POST /portal/generate_link`), and a
small portal page at it that can verify a domain and add an SSO connection; what it changes
reaches the application through the usual events (webhooks), as WorkOS's portal does."""

import secrets

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from workos_emulator import pages
from workos_emulator.http import as_json, check_types, fail, redirect_to
from workos_emulator.store import public

INTENTS = (
    "sso",
    "dsync",
    "audit_logs",
    "log_streams",
    "domain_verification",
    "certificate_renewal",
    "bring_your_own_key",
)
LINK_TTL = 5 * 60


class Portal:
    ROUTES = [
        Rule("/portal/generate_link", endpoint="portal_generate_link", methods=["POST"]),
        Rule("/portal", endpoint="portal_page", methods=["GET", "POST"]),
    ]

    def on_portal_generate_link(self, request):
        self.require_api_key(request)
        data = check_types(
            self.body(request),
            {
                "organization": str,
                "intent": (str, None),
                "return_url": (str, None),
                "success_url": (str, None),
                "external_user_id": (str, None),
                "it_contact_emails": (list, None),
            },
        )
        if not data.get("organization"):
            fail(422, message="organization is required.")
        intent = data.get("intent") or "sso"
        if intent not in INTENTS:
            fail(422, message=f"intent must be one of {', '.join(INTENTS)}.")
        store = self.store
        with store.lock:
            if data["organization"] not in store.organizations:
                fail(404, message=f"Organization not found: '{data['organization']}'.")
            token = secrets.token_urlsafe(24)
            store.portal_links[token] = {
                "organization_id": data["organization"],
                "intent": intent,
                "success_url": data.get("success_url") or "",
                "expires": store.now() + LINK_TTL,
            }
        return as_json({"link": f"{self.public_url}/portal?token={token}"}, 201)

    def on_portal_page(self, request):
        values = request.form if request.method == "POST" else request.args
        store = self.store
        with store.lock:
            link = store.portal_links.get(values.get("token", ""))
            if link is None or link["expires"] < store.now():
                page = pages.message("Admin Portal", "This link is not valid or has expired. Ask for a new one.")
                return Response(page, status=404, content_type="text/html")
            org = store.organizations[link["organization_id"]]
            if request.method == "GET":
                return Response(pages.portal(values["token"], org, link["intent"]), content_type="text/html")
            if link["intent"] == "domain_verification":
                events = self._portal_verify_domain(org, (values.get("domain") or "").strip().lower())
            elif link["intent"] == "sso":
                events = self._portal_add_connection(org, (values.get("name") or "").strip()[:100])
            else:
                events = []
            success = link["success_url"]
        if events is None:
            page = pages.message("Admin Portal", "Enter a domain name no organization has verified yet.")
            return Response(page, status=400, content_type="text/html")
        for event_type, data in events:
            self.emit(event_type, data, wait=True)
        if success:
            return redirect_to(success)
        return Response(pages.message("Admin Portal", "Saved. You can close this page."), content_type="text/html")

    def _portal_verify_domain(self, org, name):
        store = self.store
        taken = any(
            d["domain"] == name and d["state"] == "verified" for o in store.organizations.values() for d in o["domains"]
        )
        if "." not in name or any(c.isspace() for c in name) or taken:
            return None  # the page says what to enter
        (domain,) = store.domain_objects(org["id"], [{"domain": name, "state": "verified"}])
        org["domains"].append(domain)
        org["updated_at"] = store.iso()
        return [("organization_domain.verified", dict(domain)), ("organization.updated", public(org))]

    def _portal_add_connection(self, org, name):
        store = self.store
        conn = store.add_connection(name or f"{org['name']} SSO", organization=org["id"], connection_type="GenericSAML")
        return [("connection.activated", self._connection_event_data(conn))]
