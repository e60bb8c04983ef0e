"""AuthKit: the hosted sign-in, `/user_management/authenticate` and its grants, sessions, JWKS."""

import hmac
from urllib.parse import urlsplit

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from workos_emulator import pages
from workos_emulator.http import (
    ACCESS_TTL,
    CODE_TTL,
    SESSION_TTL,
    TOKEN_STRING_FIELDS,
    Reply,
    as_json,
    check_types,
    fail,
    is_loopback,
    oauth_fail,
    redirect_to,
    s256,
    with_query,
)
from workos_emulator.store import new_id, public


class AuthKit:
    ROUTES = [
        Rule("/user_management/authorize", endpoint="authkit_authorize", methods=["GET"]),
        Rule("/user_management/authenticate", endpoint="authenticate", methods=["POST"]),
        Rule("/user_management/sessions/logout", endpoint="session_logout", methods=["GET"]),
        Rule("/user_management/sessions/revoke", endpoint="session_revoke", methods=["POST"]),
        Rule("/sso/jwks/<client_id>", endpoint="jwks", methods=["GET"]),
        Rule("/_emulator/sign-in", endpoint="hosted_sign_in", methods=["POST"]),
    ]

    def on_authkit_authorize(self, request):
        args = request.args
        flow = self._flow_params(args, kind="authkit")
        store = self.store
        if flow["connection_id"] or flow["organization_id"]:
            conn = self._find_connection(connection=flow["connection_id"], organization=flow["organization_id"])
            if conn is None:
                return redirect_to(
                    with_query(
                        flow["redirect_uri"],
                        error="connection_invalid",
                        error_description="No active connection matches the request.",
                        state=flow["state"],
                    )
                )
            return self._sso_chooser(flow, conn)
        with store.lock:
            pretend, store.impersonation = store.impersonation, None
        if pretend is not None:  # staff started impersonating this user: no sign-in page
            return redirect_to(
                self._issue_code(
                    flow,
                    user_id=pretend["user_id"],
                    method="Impersonation",
                    impersonator={"email": pretend["email"], "reason": pretend["reason"]},
                )
            )
        with store.lock:
            invited = self._invitation_for(flow["invitation_token"]) if flow["invitation_token"] else None
            if invited is not None and store.user_by_email(invited["email"]) is None:
                # signing up by invitation: the invited address becomes a user (WorkOS's sign-up page)
                self.emit("user.created", public(store.add_user(invited["email"], email_verified=True)))
            if invited is not None:
                flow["login_hint"] = invited["email"]
            auto = store.auto_login
            users = [public(u) for u in store.users.values()]
        if auto:
            user = store.user_by_email(flow["login_hint"]) or store.user_by_email(auto)
            if user:
                return redirect_to(self._issue_code(flow, user_id=user["id"], method="Password"))
        return Response(pages.sign_in(flow, users, error=None), content_type="text/html")

    def _flow_params(self, args, kind):
        store = self.store
        client_id = args.get("client_id", "")
        redirect_uri = args.get("redirect_uri", "")
        if client_id != store.client_id:
            raise Reply(
                Response(
                    pages.message("Invalid client", f"client_id {client_id!r} is not known to this environment."),
                    status=400,
                    content_type="text/html",
                )
            )
        problem = self.check_redirect_uri(redirect_uri)
        if problem:
            raise Reply(Response(pages.message("Invalid redirect URI", problem), status=400, content_type="text/html"))
        state = args.get("state")
        if args.get("response_type", "code") != "code":
            raise Reply(redirect_to(with_query(redirect_uri, error="unsupported_response_type", state=state)))
        challenge = args.get("code_challenge") or ""
        if challenge and args.get("code_challenge_method", "S256") != "S256":
            raise Reply(
                redirect_to(
                    with_query(
                        redirect_uri,
                        error="invalid_request",
                        error_description="Only S256 code challenges are supported.",
                        state=state,
                    )
                )
            )
        return {
            "kind": kind,
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": challenge,
            "connection_id": args.get("connection_id") or args.get("connection") or "",
            "organization_id": args.get("organization_id") or args.get("organization") or "",
            "provider": args.get("provider") or "",
            "domain_hint": args.get("domain_hint") or "",
            "login_hint": args.get("login_hint") or "",
            "invitation_token": args.get("invitation_token") or "",
        }

    def on_hosted_sign_in(self, request):
        form = request.form
        flow = self._flow_params(form, kind=form.get("kind", "authkit"))
        store = self.store
        if form.get("connection"):  # a profile picked on the SSO chooser
            with store.lock:
                conn = store.connections.get(form["connection"])
                profiles = conn["_profiles"] if conn else []
                index = int(form.get("profile", "0") or 0)
            if not conn or not 0 <= index < len(profiles):
                return Response(
                    pages.message("Unknown profile", "That profile is not on this connection."),
                    status=400,
                    content_type="text/html",
                )
            return redirect_to(self._issue_sso_or_authkit_code(flow, conn, profiles[index]))
        with store.lock:
            if form.get("user_id"):
                user = store.users.get(form["user_id"])
            else:
                user = store.user_by_email(form.get("email"))
                if user and (
                    not user["_password"] or not hmac.compare_digest(user["_password"], form.get("password", ""))
                ):
                    user = None
            users = [public(u) for u in store.users.values()]
        if not user:
            return Response(
                pages.sign_in(flow, users, error="Email or password is incorrect."),
                status=400,
                content_type="text/html",
            )
        return redirect_to(self._issue_code(flow, user_id=user["id"], method="Password"))

    def _issue_code(self, flow, **payload):
        store = self.store
        code = store.token("", 24)
        with store.lock:
            store.codes[code] = {
                "kind": flow["kind"],
                "client_id": flow["client_id"],
                "redirect_uri": flow["redirect_uri"],
                "code_challenge": flow["code_challenge"],
                "organization_id": flow.get("organization_id") or None,
                "invitation_token": flow.get("invitation_token") or None,
                "expires": store.now() + CODE_TTL,
                "used": False,
                **payload,
            }
        return with_query(flow["redirect_uri"], code=code, state=flow["state"])

    # ------------------------------------------------------------------------------------------
    # POST /user_management/authenticate
    # ------------------------------------------------------------------------------------------
    def on_authenticate(self, request):
        data = check_types(self.body(request), {name: (str, None) for name in TOKEN_STRING_FIELDS})
        grant = data.get("grant_type")
        store = self.store
        if data.get("client_id") != store.client_id:
            oauth_fail("invalid_client", "Invalid client ID.")
        secret = data.get("client_secret")
        if secret is not None and not hmac.compare_digest(str(secret), store.api_key):
            oauth_fail("invalid_client", "Invalid client secret.")
        if grant == "authorization_code":
            return self._grant_code(request, data)
        if grant == "password":
            return self._grant_password(request, data)
        if grant == "refresh_token":
            return self._grant_refresh(request, data)
        steps = {
            "urn:workos:oauth:grant-type:organization-selection": self.grant_organization_selection,
            "urn:workos:oauth:grant-type:email-verification:code": self.grant_email_verification,
            "urn:workos:oauth:grant-type:mfa-totp": self.grant_totp,
            "urn:workos:oauth:grant-type:magic-auth:code": self.grant_magic_auth,
            "urn:ietf:params:oauth:grant-type:device_code": self.grant_device_code,
        }
        if grant in steps:
            return steps[grant](request, data)
        if not grant:
            fail(422, code="invalid_request_parameters", message="grant_type is required.")
        oauth_fail("unsupported_grant_type", f"Grant type {grant!r} is not supported by the emulator.")

    def _consume_code(self, data, kind):
        store = self.store
        code = data.get("code")
        if not code:
            fail(422, code="invalid_request_parameters", message="code is required.")
        with store.lock:
            record = store.codes.get(code)
            if record is not None and record["kind"] != kind:
                record = None  # AuthKit and SSO codes live in separate namespaces, as in WorkOS
            if record is None or record["used"] or record["expires"] < store.now():
                if record:
                    record["used"] = True
                oauth_fail("invalid_grant", "The code has expired or is invalid.")
            record["used"] = True
            if record["client_id"] != data.get("client_id"):
                oauth_fail("invalid_grant", "The code was issued to another client.")
            verifier = data.get("code_verifier")
            if record["code_challenge"]:
                if not verifier or not hmac.compare_digest(s256(verifier), record["code_challenge"]):
                    oauth_fail("invalid_grant", "The code_verifier does not match the code_challenge.")
            elif not data.get("client_secret"):
                oauth_fail("invalid_client", "client_secret is required when the code was not issued with PKCE.")
            return record

    def _grant_code(self, request, data):
        record = self._consume_code(data, "authkit")
        organization_id = record.get("organization_id")
        token = data.get("invitation_token") or record.get("invitation_token")
        if token:  # the invitation is accepted by this sign-in: its organization, with its role
            with self.store.lock:
                invitation = self._invitation_for(token)
                user = self.store.users.get(record["user_id"])
                if invitation is None or self._invitation_view(invitation)["state"] != "pending":
                    fail(400, code="invitation_invalid", message="The invitation is expired, revoked or used.")
                if user is None or user["email"] != invitation["email"]:
                    fail(
                        400,
                        code="invitation_cannot_be_used_for_email",
                        message="The invitation was sent to another email address.",
                    )
                self.accept_invitation(invitation, user)
                organization_id = invitation["organization_id"] or organization_id
        return self._sign_in(
            request,
            record["user_id"],
            organization_id,
            record.get("method", "Password"),
            impersonator=record.get("impersonator"),
        )

    def _grant_password(self, request, data):
        store = self.store
        with store.lock:
            user = store.user_by_email(data.get("email"))
            ok = bool(
                user and user["_password"] and hmac.compare_digest(user["_password"], str(data.get("password", "")))
            )
        if not ok:
            self.emit(
                "authentication.password_failed",
                {
                    "type": "password",
                    "status": "failed",
                    "user_id": user["id"] if user else None,
                    "email": data.get("email"),
                    "ip_address": None,
                    "user_agent": None,
                    "error": {"code": "invalid_credentials", "message": "Invalid credentials."},
                },
            )
            fail(400, code="invalid_credentials", message="Invalid credentials.")
        return self._sign_in(request, user["id"], None, "Password")

    def _grant_refresh(self, request, data):
        store = self.store
        token = data.get("refresh_token")
        with store.lock:
            record = store.refresh_tokens.get(token or "")
            if record is None or record["used"]:
                oauth_fail("invalid_grant", "Invalid refresh token.")
            session = store.sessions.get(record["session_id"])
            if session is None or session["status"] != "active" or session["_expires"] < store.now():
                record["used"] = True
                oauth_fail("invalid_grant", "Session has ended.")
            org_id = data.get("organization_id") or session.get("organization_id")
            if data.get("organization_id") and not any(
                m["organization_id"] == org_id for m in store.memberships_of(session["user_id"])
            ):  # refused before the token is spent: the session goes on in its organization
                oauth_fail("invalid_grant", "The user is not a member of that organization.")
            user = store.users.get(session["user_id"])
            if (
                user is not None
                and org_id != session.get("organization_id")
                and not session.get("_mfa_passed")
                and self.mfa_required(user, org_id)
            ):  # the organization's policy asks for MFA this session never passed: a step, not a move
                self.mfa_step(user, session["_method"], org_id, {"email", "organization"})
            record["used"] = True
            session["organization_id"] = org_id
            user = store.users.get(session["user_id"])
            if user is None:
                oauth_fail("invalid_grant", "Session has ended.")
            return as_json(self._auth_response(user, session))

    def _sign_in(self, request, user_id, organization_id, method, passed=(), impersonator=None):
        """A session for the user, once every step of the sign-in is passed (see areas/steps.py)."""
        store = self.store
        with store.lock:
            user = store.users.get(user_id)
            if user is None:
                oauth_fail("invalid_grant", "The user no longer exists.")
            if impersonator is None:  # an impersonation skips the user's own steps, as WorkOS's does
                self.next_step(user, method, organization_id, set(passed))
            memberships = store.memberships_of(user_id)
            if organization_id is None and len(memberships) == 1:
                organization_id = memberships[0]["organization_id"]
            now = store.now()
            user["last_sign_in_at"] = store.iso(now)
            session = {
                "object": "session",
                "id": new_id("session"),
                "user_id": user_id,
                "organization_id": organization_id,
                "status": "active",
                "auth_method": {
                    "SSO": "sso",
                    "Password": "password",
                    "MagicAuth": "magic_code",
                    "Impersonation": "impersonation",
                }.get(method, "oauth"),
                "ip_address": request.remote_addr,
                "user_agent": request.headers.get("User-Agent"),
                "impersonator": impersonator,
                "expires_at": store.iso(now + SESSION_TTL),
                "ended_at": None,
                "created_at": store.iso(now),
                "updated_at": store.iso(now),
                "_expires": now + SESSION_TTL,
                "_method": method,
                # what an organization's MFA policy accepts when the session later moves there
                "_mfa_passed": "mfa" in set(passed) or method == "SSO" or impersonator is not None,
            }
            store.sessions[session["id"]] = session
            response = self._auth_response(user, session)
        self.emit("session.created", self._session_event_data(session))
        kind = {"SSO": "sso", "Password": "password", "MagicAuth": "magic_auth"}.get(method, "oauth")
        self.emit(
            f"authentication.{kind}_succeeded",
            {
                "type": kind,
                "status": "succeeded",
                "user_id": user_id,
                "email": user["email"],
                "ip_address": session["ip_address"],
                "user_agent": session["user_agent"],
            },
        )
        return as_json(response)

    def _auth_response(self, user, session):
        store = self.store
        membership = next(
            (m for m in store.memberships_of(user["id"]) if m["organization_id"] == session["organization_id"]), None
        )
        role = membership["role"]["slug"] if membership else None
        now = int(store.now())
        claims = {
            "iss": f"{self._issuer}/user_management/{store.client_id}",
            "sub": user["id"],
            "sid": session["id"],
            "jti": new_id("jti")[4:],
            "iat": now,
            "exp": now + ACCESS_TTL,
            "auth_time": now,
        }
        if session["organization_id"]:
            claims.update(
                {
                    "org_id": session["organization_id"],
                    "role": role or "member",
                    "roles": [role or "member"],
                    "permissions": list(store.roles.get(role or "member", [])),
                }
            )
        refresh = store.token("rt_", 24)
        store.refresh_tokens[refresh] = {"session_id": session["id"], "used": False}
        body = {
            "user": public(user),
            "access_token": self.key.sign(claims),
            "refresh_token": refresh,
            "authentication_method": session["_method"],
        }
        if session["organization_id"]:
            body["organization_id"] = session["organization_id"]
        if session.get("impersonator"):
            body["impersonator"] = session["impersonator"]
        return body

    @property
    def _issuer(self):
        return self.public_url

    # ------------------------------------------------------------------------------------------
    # sessions, users, organizations, memberships
    # ------------------------------------------------------------------------------------------
    def on_session_logout(self, request):
        session_id = request.args.get("session_id")
        return_to = request.args.get("return_to")
        store = self.store
        if not session_id:
            fail(422, message="session_id is required.")
        if return_to:
            allowed = store.logout_redirect_uris or store.redirect_uris
            ok = (
                return_to in allowed
                or any(urlsplit(return_to)[:2] == urlsplit(u)[:2] for u in allowed)
                or (not allowed and is_loopback(return_to))
            )
            if not ok:
                fail(422, message=f"return_to {return_to!r} is not an allowed logout redirect.")
        ended = self._end_session(session_id)
        if return_to:
            return redirect_to(return_to)
        return Response(
            pages.message("Signed out", "You have been signed out." if ended else "That session had already ended."),
            content_type="text/html",
        )

    @staticmethod
    def _session_event_data(session):
        """Session events carry `organization_id` and `impersonator` only when set (never null)."""
        return {
            k: v for k, v in public(session).items() if v is not None or k not in ("organization_id", "impersonator")
        }

    def _end_session(self, session_id):
        store = self.store
        with store.lock:
            session = store.sessions.get(session_id)
            if not session or session["status"] != "active":
                return False
            session["status"] = "revoked"
            session["ended_at"] = session["updated_at"] = store.iso()
            snapshot = self._session_event_data(session)
        self.emit("session.revoked", snapshot)
        return True

    def on_session_revoke(self, request):
        self.require_api_key(request)
        data = self.body(request, malformed_status=400)
        session_id = data.get("session_id")
        if not isinstance(session_id, str) or session_id not in self.store.sessions:
            fail(400, message="Session not found.")
        self._end_session(session_id)
        return Response(status=200)

    def on_jwks(self, request, client_id):
        if client_id != self.store.client_id:
            fail(404, message=f"Client not found: '{client_id}'.")
        return as_json({"keys": [self.key.jwk]})
