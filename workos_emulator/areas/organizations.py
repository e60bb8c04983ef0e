"""Organizations (create, read, update, delete, find by external id), organization domains
(create, verify, delete) and organization memberships (create, update roles, deactivate,
reactivate, delete)."""

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from workos_emulator.http import as_json, check_types, fail
from workos_emulator.store import public

ORGANIZATION_FIELDS = {
    "name": str,
    "external_id": (str, None),
    "metadata": (dict, None),
    "allow_profiles_outside_organization": bool,
    "domains": (list, None),
    "domain_data": (list, None),
    "stripe_customer_id": (str, None),
}
MEMBERSHIP_FIELDS = {"user_id": str, "organization_id": str, "role_slug": (str, None), "role_slugs": (list, None)}


class Organizations:
    ROUTES = [
        Rule("/organizations", endpoint="organizations", methods=["GET", "POST"]),
        Rule("/organizations/external_id/<external_id>", endpoint="organization_by_external_id", methods=["GET"]),
        Rule("/organizations/<org_id>", endpoint="organization", methods=["GET", "PUT", "DELETE"]),
        Rule("/organization_domains", endpoint="organization_domains", methods=["POST"]),
        Rule("/organization_domains/<domain_id>", endpoint="organization_domain", methods=["GET", "DELETE"]),
        Rule("/organization_domains/<domain_id>/verify", endpoint="organization_domain_verify", methods=["POST"]),
        Rule("/user_management/organization_memberships", endpoint="memberships", methods=["GET", "POST"]),
        Rule(
            "/user_management/organization_memberships/<om_id>", endpoint="membership", methods=["GET", "PUT", "DELETE"]
        ),
        Rule(
            "/user_management/organization_memberships/<om_id>/deactivate",
            endpoint="membership_deactivate",
            methods=["PUT"],
        ),
        Rule(
            "/user_management/organization_memberships/<om_id>/reactivate",
            endpoint="membership_reactivate",
            methods=["PUT"],
        ),
    ]

    # -- organizations ----------------------------------------------------------------------------
    def _organization_or_404(self, org_id):
        org = self.store.organizations.get(org_id)
        if org is None:
            fail(404, message=f"Organization not found: '{org_id}'.")
        return org

    def _domain_inputs(self, data):
        """`domain_data` ({domain, state}) or the older `domains` (names, verified)."""
        if data.get("domain_data") is not None:
            items = data["domain_data"]
            if not all(
                isinstance(d, dict)
                and isinstance(d.get("domain"), str)
                and d.get("state", "pending") in ("pending", "verified")
                for d in items
            ):
                fail(422, code="invalid_request_parameters", message="domain_data must be a list of {domain, state}.")
            return [{"domain": d["domain"], "state": d.get("state", "pending")} for d in items]
        if data.get("domains") is not None:
            if not all(isinstance(d, str) for d in data["domains"]):
                fail(422, code="invalid_request_parameters", message="domains must be a list of strings.")
            return list(data["domains"])
        return None

    def _external_id_taken(self, external_id, but=None):
        return external_id and any(
            o.get("external_id") == external_id and o["id"] != but for o in self.store.organizations.values()
        )

    def on_organizations(self, request):
        self.require_api_key(request)
        store = self.store
        if request.method == "POST":
            data = check_types(self.body(request), ORGANIZATION_FIELDS)
            if not isinstance(data.get("name"), str) or not data["name"].strip():
                fail(422, code="invalid_request_parameters", message="name is required.")
            with store.lock:
                if self._external_id_taken(data.get("external_id")):
                    fail(
                        409,
                        code="external_id_already_used",
                        message="An organization with this external_id already exists.",
                    )
                org = store.add_organization(
                    data["name"],
                    domains=self._domain_inputs(data) or (),
                    external_id=data.get("external_id"),
                    allow_profiles_outside_organization=data.get("allow_profiles_outside_organization", False),
                )
                org["metadata"] = dict(data.get("metadata") or {})
                snapshot = public(org)
            self.emit("organization.created", snapshot)
            return as_json(snapshot, 201)
        # `domains` is comma-joined (the spec's explode: false, as the SDK sends it) or repeated
        domains = {
            d.strip().lower() for value in request.args.getlist("domains") for d in value.split(",") if d.strip()
        }
        search = (request.args.get("search") or "").strip().lower()
        with store.lock:

            def match(o):
                return (not domains or domains & {d["domain"] for d in o["domains"]}) and (
                    not search or search in o["name"].lower()
                )

            return self._page(request, store.organizations, match=match if domains or search else None)

    def on_organization_by_external_id(self, request, external_id):
        self.require_api_key(request)
        with self.store.lock:
            org = next((o for o in self.store.organizations.values() if o.get("external_id") == external_id), None)
            if org is None:
                fail(404, message=f"Organization not found: external_id '{external_id}'.")
            return as_json(public(org))

    def on_organization(self, request, org_id):
        self.require_api_key(request)
        store = self.store
        with store.lock:
            org = self._organization_or_404(org_id)
            if request.method == "GET":
                return as_json(public(org))
            if request.method == "DELETE":
                snapshot = public(store.delete_organization(org_id))
            else:
                data = check_types(self.body(request), ORGANIZATION_FIELDS)
                if "external_id" in data and self._external_id_taken(data["external_id"], but=org_id):
                    fail(
                        409,
                        code="external_id_already_used",
                        message="An organization with this external_id already exists.",
                    )
                for field in ("name", "external_id", "allow_profiles_outside_organization", "stripe_customer_id"):
                    if field in data and not (field == "name" and not data[field]):
                        org[field] = data[field]
                if "metadata" in data:
                    org["metadata"] = dict(data["metadata"] or {})
                domains = self._domain_inputs(data)
                if domains is not None:
                    org["domains"] = store.domain_objects(org_id, domains)
                org["updated_at"] = store.iso()
                snapshot = public(org)
        self.emit("organization.deleted" if request.method == "DELETE" else "organization.updated", snapshot)
        return Response(status=202) if request.method == "DELETE" else as_json(snapshot)

    # -- organization domains -----------------------------------------------------------------
    def _domain_or_404(self, domain_id):
        for org in self.store.organizations.values():
            for domain in org["domains"]:
                if domain["id"] == domain_id:
                    return org, domain
        fail(404, message=f"Organization domain not found: '{domain_id}'.")

    def on_organization_domains(self, request):
        """A new domain is `pending` with DNS verification details; verifying it succeeds."""
        self.require_api_key(request)
        store = self.store
        data = check_types(self.body(request), {"domain": str, "organization_id": str})
        name = (data.get("domain") or "").strip().lower()
        if "." not in name or any(c.isspace() for c in name):
            fail(422, code="invalid_request_parameters", message="domain must be a domain name.")
        with store.lock:
            org = store.organizations.get(data.get("organization_id"))
            if org is None:  # the spec documents no 404 here: a reference that does not resolve is invalid
                fail(
                    422,
                    code="invalid_request_parameters",
                    message="organization_id is not an organization.",
                    field="organization_id",
                )
            taken = any(
                d["domain"] == name and (o is org or d["state"] == "verified")
                for o in store.organizations.values()
                for d in o["domains"]
            )
            if taken:
                fail(409, code="domain_already_exists", message="Domain already exists for this organization.")
            (domain,) = store.domain_objects(org["id"], [{"domain": name, "state": "pending"}])
            domain.update(
                verification_strategy="dns",
                verification_prefix=f"workos-domain-verification-{store.token('', 4).lower()}",
                verification_token=store.token("", 18),
            )
            org["domains"].append(domain)
            snapshot = dict(domain)
        self.emit("organization_domain.created", snapshot)
        return as_json(snapshot, 201)

    def on_organization_domain(self, request, domain_id):
        self.require_api_key(request)
        with self.store.lock:
            org, domain = self._domain_or_404(domain_id)
            if request.method == "GET":
                return as_json(domain)
            org["domains"].remove(domain)
        self.emit("organization_domain.deleted", domain)
        return Response(status=204)

    def on_organization_domain_verify(self, request, domain_id):
        self.require_api_key(request)
        store = self.store
        with store.lock:
            _, domain = self._domain_or_404(domain_id)
            if domain["state"] in ("verified", "legacy_verified"):
                fail(400, code="domain_already_verified", message="Domain is already verified.")
            domain.update(state="verified", updated_at=store.iso())
            snapshot = dict(domain)
        self.emit("organization_domain.verified", snapshot)
        return as_json(snapshot, 201)

    # -- memberships ------------------------------------------------------------------------------
    def _membership_view(self, membership):
        out = public(membership)
        user = self.store.users.get(membership["user_id"])
        if user is not None:
            out["user"] = public(user)
        return out

    def _membership_or_404(self, om_id):
        membership = self.store.memberships.get(om_id)
        if membership is None:
            fail(404, message=f"Organization membership not found: '{om_id}'.")
        return membership

    @staticmethod
    def _roles(data):
        slugs = data.get("role_slugs") or ([data["role_slug"]] if data.get("role_slug") else None)
        if slugs is not None and not all(isinstance(slug, str) and slug for slug in slugs):
            fail(422, code="invalid_request_parameters", message="role_slugs must be a list of role slugs.")
        return slugs

    def on_memberships(self, request):
        self.require_api_key(request)
        store = self.store
        if request.method == "POST":
            data = check_types(self.body(request), MEMBERSHIP_FIELDS)
            missing = [name for name in ("user_id", "organization_id") if not data.get(name)]
            if missing:
                fail(422, code="invalid_request_parameters", message=f"{' and '.join(missing)} required.")
            roles = self._roles(data) or ["member"]
            with store.lock:
                if data.get("user_id") not in store.users:
                    fail(404, message=f"User not found: '{data.get('user_id')}'.")
                self._organization_or_404(data.get("organization_id"))
                if any(
                    m["user_id"] == data["user_id"] and m["organization_id"] == data["organization_id"]
                    for m in store.memberships.values()
                ):
                    fail(
                        400,
                        code="organization_membership_already_exists",
                        message="The user is already a member of this organization.",
                    )
                membership = store.add_membership(data["user_id"], data["organization_id"], roles[0])
                membership["roles"] = [{"slug": slug} for slug in roles]
                snapshot = self._membership_view(membership)
            self.emit("organization_membership.created", public(membership))
            return as_json(snapshot, 201)
        user_id, org_id = request.args.get("user_id"), request.args.get("organization_id")
        if not user_id and not org_id:
            fail(422, code="invalid_request_parameters", message="Either user_id or organization_id is required.")
        statuses = set((request.args.get("statuses") or "active,pending,inactive").split(","))
        with store.lock:
            found = [
                self._membership_view(m)
                for m in store.memberships.values()
                if (not user_id or m["user_id"] == user_id)
                and (not org_id or m["organization_id"] == org_id)
                and m["status"] in statuses
            ]
            return self._page(request, found)

    def on_membership(self, request, om_id):
        self.require_api_key(request)
        store = self.store
        with store.lock:
            membership = self._membership_or_404(om_id)
            if request.method == "GET":
                return as_json(self._membership_view(membership))
            if request.method == "DELETE":
                del store.memberships[om_id]
                event, snapshot = "organization_membership.deleted", public(membership)
            else:
                roles = self._roles(check_types(self.body(request), MEMBERSHIP_FIELDS))
                if roles:
                    membership.update(
                        role={"slug": roles[0]}, roles=[{"slug": slug} for slug in roles], updated_at=store.iso()
                    )
                event, snapshot = "organization_membership.updated", public(membership)
            view = self._membership_view(membership)
        self.emit(event, snapshot)
        return Response(status=200) if request.method == "DELETE" else as_json(view)

    def _set_status(self, om_id, status, refused):
        store = self.store
        with store.lock:
            membership = self._membership_or_404(om_id)
            if membership["status"] == "pending":
                fail(400, code=refused, message="A pending membership cannot change status.")
            membership.update(status=status, updated_at=store.iso())
            snapshot, view = public(membership), self._membership_view(membership)
        self.emit("organization_membership.updated", snapshot)
        return as_json(view)

    def on_membership_deactivate(self, request, om_id):
        self.require_api_key(request)
        return self._set_status(om_id, "inactive", "cannot_deactivate_pending_organization_membership")

    def on_membership_reactivate(self, request, om_id):
        self.require_api_key(request)
        return self._set_status(om_id, "active", "cannot_reactivate_pending_organization_membership")
