"""SSO: `/sso/authorize`, `/sso/token`, `/sso/profile`, SSO logout, connections."""

import hashlib
import hmac

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from workos_emulator import pages
from workos_emulator.http import (
    SSO_TOKEN_TTL,
    TOKEN_STRING_FIELDS,
    as_json,
    check_types,
    fail,
    oauth_fail,
    redirect_to,
    with_query,
)
from workos_emulator.store import public


class SSO:
    ROUTES = [
        Rule("/sso/authorize", endpoint="sso_authorize", methods=["GET"]),
        Rule("/sso/token", endpoint="sso_token", methods=["POST"]),
        Rule("/sso/profile", endpoint="sso_profile", methods=["GET"]),
        Rule("/sso/logout/authorize", endpoint="sso_logout_authorize", methods=["POST"]),
        Rule("/sso/logout", endpoint="sso_logout", methods=["GET"]),
        Rule("/connections", endpoint="connections", methods=["GET"]),
        Rule("/connections/<conn_id>", endpoint="connection", methods=["GET", "DELETE"]),
        Rule("/_emulator/connections/<conn_id>/state", endpoint="ctl_connection_state", methods=["POST"]),
    ]

    def _find_connection(self, connection=None, organization=None, provider=None, domain=None):
        store = self.store
        with store.lock:
            conns = [c for c in store.connections.values() if c["state"] == "active"]
            if connection:
                return next((c for c in conns if c["id"] == connection), None)
            if organization:
                return next((c for c in conns if c["organization_id"] == organization), None)
            if provider:
                return next((c for c in conns if c["connection_type"] == provider), None)
            if domain:
                domain = domain.lower()
                return next((c for c in conns if any(d["domain"] == domain for d in c["domains"])), None)
        return None

    def on_sso_authorize(self, request):
        args = request.args
        flow = self._flow_params(args, kind="sso")
        if args.get("domain"):
            return redirect_to(
                with_query(
                    flow["redirect_uri"],
                    error="domain_connection_selector_not_allowed",
                    error_description="The domain parameter is deprecated; use organization or connection.",
                    state=flow["state"],
                )
            )
        selectors = [s for s in (flow["connection_id"], flow["organization_id"], flow["provider"]) if s]
        if len(selectors) > 1:
            return redirect_to(
                with_query(
                    flow["redirect_uri"],
                    error="ambiguous_connection_selector",
                    error_description="Pass exactly one of connection, organization or provider.",
                    state=flow["state"],
                )
            )
        conn = self._find_connection(
            connection=flow["connection_id"],
            organization=flow["organization_id"],
            provider=flow["provider"],
            domain=None if selectors else flow["domain_hint"],
        )
        if conn is None:
            error = "organization_invalid" if flow["organization_id"] else "connection_invalid"
            return redirect_to(
                with_query(
                    flow["redirect_uri"],
                    error=error,
                    error_description="No active connection matches the request.",
                    state=flow["state"],
                )
            )
        return self._sso_chooser(flow, conn)

    def _sso_chooser(self, flow, conn):
        profiles = conn["_profiles"]
        with self.store.lock:
            auto = self.store.auto_login
        if auto and profiles:
            wanted = (flow["login_hint"] or auto).lower()
            profile = next((p for p in profiles if p["email"].lower() == wanted), profiles[0])
            return redirect_to(self._issue_sso_or_authkit_code(flow, conn, profile))
        return Response(pages.sso_chooser(flow, conn, profiles), content_type="text/html")

    def _issue_sso_or_authkit_code(self, flow, conn, profile):
        if flow["kind"] == "sso":
            return self._issue_code(flow, profile=self._profile(conn, profile))
        # AuthKit SSO sign-in: the profile becomes (or finds) a WorkOS user, JIT into the org.
        store = self.store
        with store.lock:
            user = store.user_by_email(profile["email"]) or store.add_user(
                profile["email"], first_name=profile.get("first_name"), last_name=profile.get("last_name")
            )
            if conn["organization_id"] and not any(
                m["organization_id"] == conn["organization_id"] for m in store.memberships_of(user["id"])
            ):
                store.add_membership(user["id"], conn["organization_id"], profile.get("role", "member"))
        flow = dict(flow, organization_id=conn["organization_id"])
        return self._issue_code(flow, user_id=user["id"], method="SSO")

    def _profile(self, conn, seed):
        email = seed["email"].lower()
        stable = hashlib.sha256(f"{conn['id']}:{email}".encode()).hexdigest()[:26].upper()
        first, last = seed.get("first_name"), seed.get("last_name")
        profile = {
            "object": "profile",
            "id": seed.get("id") or f"prof_{stable}",
            "organization_id": conn["organization_id"],
            "connection_id": conn["id"],
            "connection_type": conn["connection_type"],
            "idp_id": seed.get("idp_id") or stable[:20].lower(),
            "email": email,
            "first_name": first,
            "last_name": last,
            "name": " ".join(p for p in (first, last) if p) or None,
            "groups": seed.get("groups", []),
            "custom_attributes": {},
            "raw_attributes": {},
        }
        if seed.get("role"):
            profile["role"] = {"slug": seed["role"]}
            profile["roles"] = [{"slug": seed["role"]}]
        return profile

    def on_sso_token(self, request):
        data = check_types(self.body(request), {name: (str, None) for name in TOKEN_STRING_FIELDS})
        store = self.store
        if data.get("client_id") != store.client_id:
            oauth_fail("invalid_client", "Invalid client ID.")
        secret = data.get("client_secret")
        if secret is not None and not hmac.compare_digest(str(secret), store.api_key):
            oauth_fail("invalid_client", "Invalid client secret.")
        if not data.get("grant_type"):  # a missing parameter is a validation error (the spec's 422)
            fail(
                422,
                message="grant_type is required.",
                error="invalid_request",
                error_description="grant_type is required.",
            )
        if data.get("grant_type") != "authorization_code":
            oauth_fail("unsupported_grant_type", "Only authorization_code is supported.")
        record = self._consume_code(data, "sso")
        token = store.token("sso_at_", 24)
        with store.lock:
            store.sso_tokens[token] = {"profile": record["profile"], "expires": store.now() + SSO_TOKEN_TTL}
        self.emit(
            "authentication.sso_succeeded",
            {
                "type": "sso",
                "status": "succeeded",
                "user_id": None,
                "email": record["profile"]["email"],
                "ip_address": request.remote_addr,
                "user_agent": request.headers.get("User-Agent"),
                "sso": {
                    "organization_id": record["profile"]["organization_id"],
                    "connection_id": record["profile"]["connection_id"],
                    "session_id": None,
                },
            },
        )
        return as_json(
            {"token_type": "Bearer", "access_token": token, "expires_in": SSO_TOKEN_TTL, "profile": record["profile"]}
        )

    def on_sso_profile(self, request):
        header = request.headers.get("Authorization", "")
        with self.store.lock:
            record = self.store.sso_tokens.get(header[7:] if header.startswith("Bearer ") else "")
            if record is None or record["expires"] < self.store.now():
                fail(401, error="Unauthorized")
            return as_json(record["profile"])

    def on_sso_logout_authorize(self, request):
        """A short-lived logout token for a profile the emulator's connections can sign in."""
        self.require_api_key(request)
        profile_id = check_types(self.body(request), {"profile_id": str}).get("profile_id")
        store = self.store
        with store.lock:
            conn = next(
                (
                    c
                    for c in store.connections.values()
                    for seed in c["_profiles"]
                    if self._profile(c, seed)["id"] == profile_id
                ),
                None,
            )
            if conn is None:
                fail(404, message=f"Profile not found: '{profile_id}'.")
            if conn["state"] != "active":
                fail(400, error="connection_invalid", error_description="The profile's connection is not active.")
            token = store.token("", 24)
            store.sso_logout_tokens[token] = {"profile_id": profile_id, "expires": store.now() + SSO_TOKEN_TTL}
        return as_json({"logout_url": with_query(f"{self.public_url}/sso/logout", token=token), "logout_token": token})

    def on_sso_logout(self, request):
        """The browser leg: the identity provider's sign-out, then the environment's logout redirect."""
        store = self.store
        with store.lock:
            record = store.sso_logout_tokens.pop(request.args.get("token", ""), None)
            if record is None or record["expires"] < store.now():
                fail(404, message="Logout token not found or expired.")
            target = store.logout_redirect_uris[0] if store.logout_redirect_uris else None
        if target:
            return redirect_to(target)
        return Response(
            pages.message("Signed out", "You are signed out of your identity provider."), content_type="text/html"
        )

    def on_connections(self, request):
        self.require_api_key(request)
        args = request.args
        org, kind = args.get("organization_id"), args.get("connection_type")
        domain, needle = (args.get("domain") or "").lower(), (args.get("search") or "").lower()

        def match(c):
            return (
                (not org or c["organization_id"] == org)
                and (not kind or c["connection_type"] == kind)
                and (not domain or any(d["domain"] == domain for d in c["domains"]))
                and (not needle or needle in c["name"].lower())
            )

        with self.store.lock:
            return self._page(request, self.store.connections, match=match if org or kind or domain or needle else None)

    def on_connection(self, request, conn_id):
        self.require_api_key(request)
        with self.store.lock:
            conn = self.store.connections.get(conn_id)
            if conn is None:
                fail(404, message=f"Connection not found: '{conn_id}'.")
            if request.method == "GET":
                return as_json(public(conn))
            del self.store.connections[conn_id]
            snapshot = self._connection_event_data(conn)
        self.emit("connection.deleted", snapshot)
        return Response(status=204)

    @staticmethod
    def _connection_event_data(conn):
        """Connections in webhook events carry `external_key` and `status` besides the REST fields."""
        data = public(conn)
        data["external_key"] = conn.get("_external_key") or hashlib.sha256(conn["id"].encode()).hexdigest()[:20]
        data["status"] = "linked" if conn["state"] == "active" else "unlinked"
        return data

    def on_ctl_connection_state(self, request, conn_id):
        """Change a connection's state as an admin would in WorkOS, emitting the webhook event."""
        state = self.body(request).get("state")
        if state not in ("active", "inactive"):
            fail(422, message="state must be active or inactive.")
        with self.store.lock:
            conn = self.store.connections.get(conn_id)
            if conn is None:
                fail(404, message=f"Connection not found: '{conn_id}'.")
            conn["state"] = state
            conn["status"] = "linked" if state == "active" else "unlinked"
            conn["updated_at"] = self.store.iso()
            snapshot = self._connection_event_data(conn)
        event = self.emit(
            "connection.activated" if state == "active" else "connection.deactivated", snapshot, wait=True
        )
        return as_json(event)
