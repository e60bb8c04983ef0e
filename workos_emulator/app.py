"""The emulator's WSGI application: WorkOS API routes, hosted pages, and a private control surface.

Routes follow WorkOS's OpenAPI spec; responses are the spec's shapes. Server-side endpoints need
`Authorization: Bearer <api key>`; token endpoints check client_id/client_secret (or PKCE).
Everything under `/_emulator/` is for tests and development only (seed, reset, error injection,
request log, clock, webhooks).
"""

import base64
import fnmatch
import hashlib
import hmac
import json
import re
import threading
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from workos_emulator import pages
from workos_emulator.keys import SigningKey
from workos_emulator.store import Store, new_id, public

CODE_TTL = 600
ACCESS_TTL = 300
SSO_TOKEN_TTL = 600
SESSION_TTL = 7 * 24 * 3600
RESERVED_CLAIMS = {"sub", "iss", "aud", "exp", "iat", "nbf", "jti", "sid", "org_id", "email", "scope", "client_id"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Reply(Exception):
    """Raised by handlers to answer at once (errors mostly)."""

    def __init__(self, response):
        self.response = response


def as_json(data, status=200, headers=None):
    return Response(json.dumps(data), status=status, headers=headers, content_type="application/json")


def fail(status, **body):
    raise Reply(as_json(body, status))


def oauth_fail(error, description, status=400):
    fail(status, error=error, error_description=description)


def _s256(verifier):
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _with_query(url, **params):
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _redirect(location):
    return Response(status=302, headers={"Location": location})


def _is_loopback(url):
    return urlsplit(url).hostname in {"127.0.0.1", "localhost", "::1"}


class EmulatorApp:
    def __init__(self, store=None, public_url=""):
        self.store = store or Store()
        self.key = SigningKey("sso_oidc_key_pair_" + new_id("k")[2:])
        self.public_url = public_url.rstrip("/")
        self.url_map = Map(
            [
                # AuthKit / user management
                Rule("/user_management/authorize", endpoint="authkit_authorize", methods=["GET"]),
                Rule("/user_management/authenticate", endpoint="authenticate", methods=["POST"]),
                Rule("/user_management/sessions/logout", endpoint="session_logout", methods=["GET"]),
                Rule("/user_management/sessions/revoke", endpoint="session_revoke", methods=["POST"]),
                Rule("/user_management/users", endpoint="users", methods=["GET", "POST"]),
                Rule("/user_management/users/external_id/<external_id>", endpoint="user_by_external_id", methods=["GET"]),
                Rule("/user_management/users/<user_id>", endpoint="user", methods=["GET", "PUT", "DELETE"]),
                Rule("/user_management/users/<user_id>/sessions", endpoint="user_sessions", methods=["GET"]),
                Rule("/user_management/organization_memberships", endpoint="memberships", methods=["GET"]),
                Rule("/user_management/organization_memberships/<om_id>", endpoint="membership", methods=["GET"]),
                Rule("/organizations", endpoint="organizations", methods=["GET"]),
                Rule("/organizations/<org_id>", endpoint="organization", methods=["GET"]),
                Rule("/sso/jwks/<client_id>", endpoint="jwks", methods=["GET"]),
                # SSO
                Rule("/sso/authorize", endpoint="sso_authorize", methods=["GET"]),
                Rule("/sso/token", endpoint="sso_token", methods=["POST"]),
                Rule("/sso/profile", endpoint="sso_profile", methods=["GET"]),
                Rule("/connections", endpoint="connections", methods=["GET"]),
                Rule("/connections/<conn_id>", endpoint="connection", methods=["GET", "DELETE"]),
                # Standalone Connect (AuthKit as an OAuth authorization server)
                Rule("/oauth2/authorize", endpoint="oauth2_authorize", methods=["GET"]),
                Rule("/authkit/oauth2/complete", endpoint="connect_complete", methods=["POST"]),
                Rule("/oauth2/consent", endpoint="oauth2_consent", methods=["GET", "POST"]),
                Rule("/oauth2/token", endpoint="oauth2_token", methods=["POST"]),
                Rule("/oauth2/jwks", endpoint="oauth2_jwks", methods=["GET"]),
                Rule("/.well-known/oauth-authorization-server", endpoint="oauth2_metadata", methods=["GET"]),
                # hosted sign-in form target
                Rule("/_emulator/sign-in", endpoint="hosted_sign_in", methods=["POST"]),
                # control surface
                Rule("/_emulator/health", endpoint="ctl_health", methods=["GET"]),
                Rule("/_emulator/reset", endpoint="ctl_reset", methods=["POST"]),
                Rule("/_emulator/seed", endpoint="ctl_seed", methods=["POST"]),
                Rule("/_emulator/state", endpoint="ctl_state", methods=["GET"]),
                Rule("/_emulator/settings", endpoint="ctl_settings", methods=["POST"]),
                Rule("/_emulator/errors", endpoint="ctl_errors", methods=["GET", "POST", "DELETE"]),
                Rule("/_emulator/requests", endpoint="ctl_requests", methods=["GET", "DELETE"]),
                Rule("/_emulator/clock", endpoint="ctl_clock", methods=["POST"]),
                Rule("/_emulator/codes", endpoint="ctl_codes", methods=["POST"]),
                Rule("/_emulator/events", endpoint="ctl_events", methods=["GET", "POST"]),
                Rule("/_emulator/connections/<conn_id>/state", endpoint="ctl_connection_state", methods=["POST"]),
            ]
        )

    # ------------------------------------------------------------------------------------------
    # WSGI plumbing: log, inject faults, route, answer
    # ------------------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request):
        started = time.perf_counter()
        if not self.public_url:
            self.public_url = request.host_url.rstrip("/")
        path = request.path
        control = path.startswith("/_emulator/")
        injected = None if control else self._take_injection(request.method, path, after=False)
        if injected is not None:
            response = injected
        else:
            adapter = self.url_map.bind_to_environ(request.environ)
            try:
                endpoint, args = adapter.match()
                response = getattr(self, "on_" + endpoint)(request, **args)
            except Reply as reply:
                response = reply.response
            except NotFound:
                response = as_json({"message": f"Not found: {request.method} {path}"}, 404)
            except MethodNotAllowed:
                response = as_json({"message": f"Method {request.method} not allowed on {path}"}, 405)
            except HTTPException as exc:
                response = as_json({"message": exc.description}, exc.code or 400)
            if not control:
                # "after" faults: the request was carried out, then its answer is lost (replaced, or late)
                response = self._take_injection(request.method, path, after=True) or response
        if not control:
            self._log(request, response, time.perf_counter() - started)
        return response

    def _log(self, request, response, seconds):
        body = None
        if response.mimetype == "application/json":
            raw = response.get_data(as_text=True)
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw
        entry = {
            "method": request.method,
            "path": request.path,
            "query": dict(request.args),
            "status": response.status_code,
            "content_type": response.mimetype,
            "body": body,
            "at": self.store.now(),
            "duration_ms": round(seconds * 1000, 3),
        }
        with self.store.lock:
            self.store.requests.append(entry)
            del self.store.requests[:-5000]

    def _take_injection(self, method, path, after):
        store = self.store
        with store.lock:
            for rule in store.injections:
                if rule["method"] not in ("*", method) or not fnmatch.fnmatchcase(path, rule["path"]) or rule["after"] != after:
                    continue
                if rule["times"] is not None:
                    if rule["times"] <= 0:
                        continue
                    rule["times"] -= 1
                break
            else:
                return None
        if rule["latency_ms"]:
            time.sleep(rule["latency_ms"] / 1000)
        if rule.get("passthrough"):
            return None
        headers = dict(rule.get("headers") or {})
        if rule.get("raw") is not None:
            return Response(rule["raw"], status=rule["status"], headers=headers, content_type=rule.get("content_type", "application/json"))
        return as_json(rule["body"], rule["status"], headers)

    # ------------------------------------------------------------------------------------------
    # shared checks
    # ------------------------------------------------------------------------------------------
    def body(self, request):
        """JSON or form body as a dict (token endpoints accept both, as WorkOS does)."""
        if request.mimetype == "application/x-www-form-urlencoded":
            return request.form.to_dict()
        raw = request.get_data(as_text=True)
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            fail(400, message="The request body is not valid JSON.")
        if not isinstance(data, dict):
            fail(422, code="invalid_request_parameters", message="The request body must be a JSON object.")
        return data

    def require_api_key(self, request):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not hmac.compare_digest(header[7:], self.store.api_key):
            fail(401, message="Unauthorized", code="unauthorized")

    def check_redirect_uri(self, uri, allowlist=None):
        allowed = self.store.redirect_uris if allowlist is None else allowlist
        if not uri:
            return "redirect_uri is required."
        if uri in allowed:
            return None
        if not allowed and _is_loopback(uri):
            return None
        return f"redirect_uri {uri!r} is not an allowed redirect URI for this environment."

    def base_url(self, request):
        return request.host_url.rstrip("/")

    # ------------------------------------------------------------------------------------------
    # AuthKit hosted sign-in
    # ------------------------------------------------------------------------------------------
    def on_authkit_authorize(self, request):
        args = request.args
        flow = self._flow_params(args, kind="authkit")
        store = self.store
        if flow["connection_id"] or flow["organization_id"]:
            conn = self._find_connection(connection=flow["connection_id"], organization=flow["organization_id"])
            if conn is None:
                return _redirect(_with_query(flow["redirect_uri"], error="connection_invalid", error_description="No active connection matches the request.", state=flow["state"]))
            return self._sso_chooser(flow, conn)
        with store.lock:
            auto = store.auto_login
            users = [public(u) for u in store.users.values()]
        if auto:
            user = store.user_by_email(flow["login_hint"]) or store.user_by_email(auto)
            if user:
                return _redirect(self._issue_code(flow, user_id=user["id"], method="Password"))
        return Response(pages.sign_in(flow, users, error=None), content_type="text/html")

    def _flow_params(self, args, kind):
        store = self.store
        client_id = args.get("client_id", "")
        redirect_uri = args.get("redirect_uri", "")
        if client_id != store.client_id:
            raise Reply(Response(pages.message("Invalid client", f"client_id {client_id!r} is not known to this environment."), status=400, content_type="text/html"))
        problem = self.check_redirect_uri(redirect_uri)
        if problem:
            raise Reply(Response(pages.message("Invalid redirect URI", problem), status=400, content_type="text/html"))
        state = args.get("state")
        if args.get("response_type", "code") != "code":
            raise Reply(_redirect(_with_query(redirect_uri, error="unsupported_response_type", state=state)))
        challenge = args.get("code_challenge") or ""
        if challenge and args.get("code_challenge_method", "S256") != "S256":
            raise Reply(_redirect(_with_query(redirect_uri, error="invalid_request", error_description="Only S256 code challenges are supported.", state=state)))
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
                return Response(pages.message("Unknown profile", "That profile is not on this connection."), status=400, content_type="text/html")
            return _redirect(self._issue_sso_or_authkit_code(flow, conn, profiles[index]))
        with store.lock:
            if form.get("user_id"):
                user = store.users.get(form["user_id"])
            else:
                user = store.user_by_email(form.get("email"))
                if user and (not user["_password"] or not hmac.compare_digest(user["_password"], form.get("password", ""))):
                    user = None
            users = [public(u) for u in store.users.values()]
        if not user:
            return Response(pages.sign_in(flow, users, error="Incorrect email or password."), status=400, content_type="text/html")
        return _redirect(self._issue_code(flow, user_id=user["id"], method="Password"))

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
                "expires": store.now() + CODE_TTL,
                "used": False,
                **payload,
            }
        return _with_query(flow["redirect_uri"], code=code, state=flow["state"])

    # ------------------------------------------------------------------------------------------
    # POST /user_management/authenticate
    # ------------------------------------------------------------------------------------------
    def on_authenticate(self, request):
        data = self.body(request)
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
        if grant == "urn:workos:oauth:grant-type:organization-selection":
            return self._grant_org_selection(request, data)
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
                if not verifier or not hmac.compare_digest(_s256(verifier), record["code_challenge"]):
                    oauth_fail("invalid_grant", "The code_verifier does not match the code_challenge.")
            elif not data.get("client_secret"):
                oauth_fail("invalid_client", "client_secret is required when the code was not issued with PKCE.")
            return record

    def _grant_code(self, request, data):
        record = self._consume_code(data, "authkit")
        return self._sign_in(request, record["user_id"], record.get("organization_id"), record.get("method", "Password"))

    def _grant_password(self, request, data):
        store = self.store
        with store.lock:
            user = store.user_by_email(data.get("email"))
            ok = bool(user and user["_password"] and hmac.compare_digest(user["_password"], str(data.get("password", ""))))
        if not ok:
            self.emit("authentication.password_failed", {"type": "password", "status": "failed", "user_id": user["id"] if user else None, "email": data.get("email"), "ip_address": None, "user_agent": None, "error": {"code": "invalid_credentials", "message": "Invalid credentials."}})
            fail(400, code="invalid_credentials", message="Invalid credentials.")
        return self._sign_in(request, user["id"], None, "Password")

    def _grant_refresh(self, request, data):
        store = self.store
        token = data.get("refresh_token")
        with store.lock:
            record = store.refresh_tokens.get(token or "")
            if record is None or record["used"]:
                oauth_fail("invalid_grant", "Invalid refresh token.")
            record["used"] = True
            session = store.sessions.get(record["session_id"])
            if session is None or session["status"] != "active" or session["_expires"] < store.now():
                oauth_fail("invalid_grant", "Session has ended.")
            org_id = data.get("organization_id") or session.get("organization_id")
            if data.get("organization_id") and not any(m["organization_id"] == org_id for m in store.memberships_of(session["user_id"])):
                oauth_fail("invalid_grant", "The user is not a member of that organization.")
            session["organization_id"] = org_id
            return as_json(self._auth_response(store.users[session["user_id"]], session))

    def _grant_org_selection(self, request, data):
        store = self.store
        with store.lock:
            pending = store.pending_tokens.pop(data.get("pending_authentication_token") or "", None)
            if not pending or pending["expires"] < store.now():
                fail(400, code="invalid_pending_authentication_token", message="The pending authentication token is invalid or expired.")
            org_id = data.get("organization_id")
            if not any(m["organization_id"] == org_id for m in store.memberships_of(pending["user_id"])):
                fail(400, code="invalid_organization_id", message="The user is not a member of that organization.")
        return self._sign_in(request, pending["user_id"], org_id, pending["method"], checked=True)

    def _pending(self, user_id, method):
        token = self.store.token("", 24)
        self.store.pending_tokens[token] = {"user_id": user_id, "method": method, "expires": self.store.now() + CODE_TTL}
        return token

    def _sign_in(self, request, user_id, organization_id, method, checked=False):
        store = self.store
        with store.lock:
            user = store.users.get(user_id)
            if user is None:
                oauth_fail("invalid_grant", "The user no longer exists.")
            if not checked:
                if not user["email_verified"]:
                    fail(403, code="email_verification_required", message="Email ownership must be verified before authentication.", pending_authentication_token=self._pending(user_id, method), email=user["email"], email_verification_id=new_id("email_verification"))
                if user["_mfa"]:
                    factor = {"object": "authentication_factor", "id": new_id("auth_factor"), "type": "totp", "user_id": user_id, "created_at": store.iso(), "updated_at": store.iso()}
                    fail(403, code="mfa_challenge", message="The user must complete an MFA challenge to finish authenticating.", pending_authentication_token=self._pending(user_id, method), user=public(user), authentication_factors=[factor])
                memberships = store.memberships_of(user_id)
                if organization_id is None and len(memberships) > 1:
                    orgs = [{"id": m["organization_id"], "name": store.organizations[m["organization_id"]]["name"]} for m in memberships]
                    fail(403, code="organization_selection_required", message="The user must choose an organization to finish their authentication.", pending_authentication_token=self._pending(user_id, method), user=public(user), organizations=orgs)
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
                "auth_method": {"SSO": "sso", "Password": "password"}.get(method, "oauth"),
                "ip_address": request.remote_addr,
                "user_agent": request.headers.get("User-Agent"),
                "impersonator": None,
                "expires_at": store.iso(now + SESSION_TTL),
                "ended_at": None,
                "created_at": store.iso(now),
                "updated_at": store.iso(now),
                "_expires": now + SESSION_TTL,
                "_method": method,
            }
            store.sessions[session["id"]] = session
            response = self._auth_response(user, session)
        self.emit("session.created", public(session))
        self.emit(f"authentication.{'sso' if method == 'SSO' else 'password' if method == 'Password' else 'oauth'}_succeeded", {"type": method.lower(), "status": "succeeded", "user_id": user_id, "email": user["email"], "ip_address": session["ip_address"], "user_agent": session["user_agent"]})
        return as_json(response)

    def _auth_response(self, user, session):
        store = self.store
        membership = next((m for m in store.memberships_of(user["id"]) if m["organization_id"] == session["organization_id"]), None)
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
            claims.update({"org_id": session["organization_id"], "role": role or "member", "roles": [role or "member"], "permissions": []})
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
            ok = return_to in allowed or any(urlsplit(return_to)[:2] == urlsplit(u)[:2] for u in allowed) or (not allowed and _is_loopback(return_to))
            if not ok:
                fail(422, message=f"return_to {return_to!r} is not an allowed logout redirect.")
        ended = self._end_session(session_id, "logout")
        if return_to:
            return _redirect(return_to)
        return Response(pages.message("Signed out", "You have been signed out." if ended else "That session had already ended."), content_type="text/html")

    def _end_session(self, session_id, reason):
        store = self.store
        with store.lock:
            session = store.sessions.get(session_id)
            if not session or session["status"] != "active":
                return False
            session["status"] = "revoked" if reason == "revoke" else "inactive"
            session["ended_at"] = session["updated_at"] = store.iso()
            snapshot = public(session)
        self.emit("session.revoked", snapshot)
        return True

    def on_session_revoke(self, request):
        self.require_api_key(request)
        data = self.body(request)
        session_id = data.get("session_id")
        if not session_id or session_id not in self.store.sessions:
            fail(400, message="Session not found.")
        self._end_session(session_id, "revoke")
        return Response(status=200)

    def _page(self, request, items, filters_applied=True):
        """WorkOS list pagination: order by id, `after`/`before` cursors, 1..100 per page."""
        args = request.args
        try:
            limit = int(args.get("limit", 10))
        except ValueError:
            fail(422, message="limit must be an integer.")
        if not 1 <= limit <= 100:
            fail(422, message="limit must be between 1 and 100.")
        order = args.get("order", "desc")
        if order not in ("asc", "desc", "normal"):
            fail(422, message="order must be asc or desc.")
        items = sorted(items, key=lambda o: o["id"], reverse=(order == "desc"))
        ids = [o["id"] for o in items]
        after, before = args.get("after"), args.get("before")
        if after:
            start = ids.index(after) + 1 if after in ids else len(ids)
            window = items[start : start + limit]
        elif before:
            end = ids.index(before) if before in ids else 0
            window = items[max(0, end - limit) : end]
            start = max(0, end - limit)
        else:
            start = 0
            window = items[:limit]
        has_before = start > 0 and bool(window)
        has_after = start + len(window) < len(items) and bool(window)
        return as_json(
            {
                "object": "list",
                "data": [public(o) for o in window],
                "list_metadata": {
                    "before": window[0]["id"] if has_before else None,
                    "after": window[-1]["id"] if has_after else None,
                },
            }
        )

    def on_users(self, request):
        self.require_api_key(request)
        store = self.store
        if request.method == "POST":
            data = self.body(request)
            email = (data.get("email") or "").strip().lower()
            if not _EMAIL.match(email):
                fail(422, code="invalid_request_parameters", message="email must be a valid email address.")
            with store.lock:
                if store.user_by_email(email):
                    fail(400, code="user_creation_error", message="A user with this email already exists.", errors=[{"code": "email_not_available", "message": "Email is not available."}])
                user = store.add_user(email, password=data.get("password"), first_name=data.get("first_name"), last_name=data.get("last_name"), email_verified=bool(data.get("email_verified", False)), external_id=data.get("external_id"), metadata=data.get("metadata"))
            self.emit("user.created", public(user))
            return as_json(public(user), 201)
        with store.lock:
            users = list(store.users.values())
            email = request.args.get("email")
            if email:
                users = [u for u in users if u["email"] == email.lower()]
            org_id = request.args.get("organization_id")
            if org_id:
                members = {m["user_id"] for m in store.memberships.values() if m["organization_id"] == org_id}
                users = [u for u in users if u["id"] in members]
            return self._page(request, users)

    def _user_or_404(self, user_id):
        user = self.store.users.get(user_id)
        if user is None:
            fail(404, message=f"User not found: '{user_id}'.", code="entity_not_found")
        return user

    def on_user(self, request, user_id):
        self.require_api_key(request)
        store = self.store
        with store.lock:
            user = self._user_or_404(user_id)
            if request.method == "GET":
                return as_json(public(user))
            if request.method == "DELETE":
                del store.users[user_id]
                snapshot = public(user)
            else:
                data = self.body(request)
                for field in ("first_name", "last_name", "email_verified", "external_id", "metadata", "locale"):
                    if field in data:
                        user[field] = data[field]
                if "email" in data:
                    email = (data["email"] or "").lower()
                    other = store.user_by_email(email)
                    if other and other["id"] != user_id:
                        fail(400, code="email_not_available", message="Email is not available.")
                    user["email"] = email
                if data.get("password"):
                    user["_password"] = data["password"]
                user["updated_at"] = store.iso()
                snapshot = public(user)
        self.emit("user.deleted" if request.method == "DELETE" else "user.updated", snapshot)
        return Response(status=202) if request.method == "DELETE" else as_json(snapshot)

    def on_user_by_external_id(self, request, external_id):
        self.require_api_key(request)
        with self.store.lock:
            user = next((u for u in self.store.users.values() if u["external_id"] == external_id), None)
            if user is None:
                fail(404, message=f"User not found: external_id '{external_id}'.")
            return as_json(public(user))

    def on_user_sessions(self, request, user_id):
        self.require_api_key(request)
        with self.store.lock:
            self._user_or_404(user_id)
            sessions = [
                {k: v for k, v in s.items() if not (k in ("impersonator", "organization_id") and v is None)}
                for s in self.store.sessions.values()
                if s["user_id"] == user_id
            ]
            return self._page(request, sessions)

    def _membership_view(self, membership):
        out = public(membership)
        out["user"] = public(self.store.users[membership["user_id"]])
        return out

    def on_memberships(self, request):
        self.require_api_key(request)
        user_id, org_id = request.args.get("user_id"), request.args.get("organization_id")
        if not user_id and not org_id:
            fail(422, code="invalid_request_parameters", message="Either user_id or organization_id is required.")
        statuses = set((request.args.get("statuses") or "active,pending,inactive").split(","))
        with self.store.lock:
            found = [
                self._membership_view(m)
                for m in self.store.memberships.values()
                if (not user_id or m["user_id"] == user_id) and (not org_id or m["organization_id"] == org_id) and m["status"] in statuses
            ]
            return self._page(request, found)

    def on_membership(self, request, om_id):
        self.require_api_key(request)
        with self.store.lock:
            membership = self.store.memberships.get(om_id)
            if membership is None:
                fail(404, message=f"Organization membership not found: '{om_id}'.")
            return as_json(self._membership_view(membership))

    def on_organizations(self, request):
        self.require_api_key(request)
        domains = set(request.args.getlist("domains"))
        with self.store.lock:
            orgs = [o for o in self.store.organizations.values() if not domains or domains & {d["domain"] for d in o["domains"]}]
            return self._page(request, orgs)

    def on_organization(self, request, org_id):
        self.require_api_key(request)
        with self.store.lock:
            org = self.store.organizations.get(org_id)
            if org is None:
                fail(404, message=f"Organization not found: '{org_id}'.")
            return as_json(public(org))

    def on_jwks(self, request, client_id):
        if client_id != self.store.client_id:
            fail(404, message=f"Client not found: '{client_id}'.")
        return as_json({"keys": [self.key.jwk]})

    # ------------------------------------------------------------------------------------------
    # SSO
    # ------------------------------------------------------------------------------------------
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
            return _redirect(_with_query(flow["redirect_uri"], error="domain_connection_selector_not_allowed", error_description="The domain parameter is deprecated; use organization or connection.", state=flow["state"]))
        selectors = [s for s in (flow["connection_id"], flow["organization_id"], flow["provider"]) if s]
        if len(selectors) > 1:
            return _redirect(_with_query(flow["redirect_uri"], error="ambiguous_connection_selector", error_description="Pass exactly one of connection, organization or provider.", state=flow["state"]))
        conn = self._find_connection(
            connection=flow["connection_id"], organization=flow["organization_id"], provider=flow["provider"], domain=None if selectors else flow["domain_hint"]
        )
        if conn is None:
            error = "organization_invalid" if flow["organization_id"] else "connection_invalid"
            return _redirect(_with_query(flow["redirect_uri"], error=error, error_description="No active connection matches the request.", state=flow["state"]))
        return self._sso_chooser(flow, conn)

    def _sso_chooser(self, flow, conn):
        profiles = conn["_profiles"]
        with self.store.lock:
            auto = self.store.auto_login
        if auto and profiles:
            wanted = (flow["login_hint"] or auto).lower()
            profile = next((p for p in profiles if p["email"].lower() == wanted), profiles[0])
            return _redirect(self._issue_sso_or_authkit_code(flow, conn, profile))
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
            if conn["organization_id"] and not any(m["organization_id"] == conn["organization_id"] for m in store.memberships_of(user["id"])):
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
        data = self.body(request)
        store = self.store
        if data.get("client_id") != store.client_id:
            oauth_fail("invalid_client", "Invalid client ID.")
        secret = data.get("client_secret")
        if secret is not None and not hmac.compare_digest(str(secret), store.api_key):
            oauth_fail("invalid_client", "Invalid client secret.")
        if data.get("grant_type") != "authorization_code":
            oauth_fail("unsupported_grant_type", "Only authorization_code is supported.")
        record = self._consume_code(data, "sso")
        token = store.token("sso_at_", 24)
        with store.lock:
            store.sso_tokens[token] = {"profile": record["profile"], "expires": store.now() + SSO_TOKEN_TTL}
        self.emit("authentication.sso_succeeded", {"type": "sso", "status": "succeeded", "user_id": None, "email": record["profile"]["email"], "ip_address": request.remote_addr, "user_agent": request.headers.get("User-Agent"), "sso": {"organization_id": record["profile"]["organization_id"], "connection_id": record["profile"]["connection_id"]}})
        return as_json({"token_type": "Bearer", "access_token": token, "expires_in": SSO_TOKEN_TTL, "profile": record["profile"]})

    def on_sso_profile(self, request):
        header = request.headers.get("Authorization", "")
        with self.store.lock:
            record = self.store.sso_tokens.get(header[7:] if header.startswith("Bearer ") else "")
            if record is None or record["expires"] < self.store.now():
                fail(401, error="Unauthorized")
            return as_json(record["profile"])

    def on_connections(self, request):
        self.require_api_key(request)
        args = request.args
        with self.store.lock:
            conns = list(self.store.connections.values())
            if args.get("organization_id"):
                conns = [c for c in conns if c["organization_id"] == args["organization_id"]]
            if args.get("connection_type"):
                conns = [c for c in conns if c["connection_type"] == args["connection_type"]]
            if args.get("domain"):
                conns = [c for c in conns if any(d["domain"] == args["domain"].lower() for d in c["domains"])]
            if args.get("search"):
                needle = args["search"].lower()
                conns = [c for c in conns if needle in c["name"].lower()]
            return self._page(request, conns)

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
        event = self.emit("connection.activated" if state == "active" else "connection.deactivated", snapshot, wait=True)
        return as_json(event)

    # ------------------------------------------------------------------------------------------
    # Standalone Connect
    # ------------------------------------------------------------------------------------------
    def on_oauth2_authorize(self, request):
        args = request.args
        store = self.store
        with store.lock:
            app = store.oauth_apps.get(args.get("client_id", ""))
            login_uri = store.connect_login_uri
        if app is None:
            return Response(pages.message("Unknown application", "client_id is not a registered OAuth application."), status=400, content_type="text/html")
        redirect_uri = args.get("redirect_uri", "")
        if redirect_uri not in app["redirect_uris"]:
            return Response(pages.message("Invalid redirect URI", "redirect_uri is not registered for this application."), status=400, content_type="text/html")
        if args.get("response_type", "code") != "code":
            return _redirect(_with_query(redirect_uri, error="unsupported_response_type", state=args.get("state")))
        challenge = args.get("code_challenge", "")
        if app["client_secret"] is None and not challenge:
            return _redirect(_with_query(redirect_uri, error="invalid_request", error_description="Public clients must use PKCE.", state=args.get("state")))
        if challenge and args.get("code_challenge_method", "S256") != "S256":
            return _redirect(_with_query(redirect_uri, error="invalid_request", error_description="Only S256 is supported.", state=args.get("state")))
        if not login_uri:
            return Response(pages.message("Login URI not configured", "Set settings.connect_login_uri in the emulator seed."), status=500, content_type="text/html")
        ext_id = new_id("ext_auth")[9:]
        with store.lock:
            store.external_auths[ext_id] = {
                "client_id": app["client_id"],
                "redirect_uri": redirect_uri,
                "state": args.get("state"),
                "nonce": args.get("nonce"),
                "scope": args.get("scope", "openid profile email"),
                "code_challenge": challenge,
                "completed": False,
                "created": store.now(),
            }
        return _redirect(_with_query(login_uri, external_auth_id=ext_id))

    def on_connect_complete(self, request):
        self.require_api_key(request)
        data = self.body(request)
        store = self.store
        ext_id = data.get("external_auth_id")
        user_in = data.get("user")
        if not isinstance(ext_id, str) or not ext_id or not isinstance(user_in, dict):
            fail(422, message="external_auth_id and user are required.")
        if not isinstance(user_in.get("id"), str) or not user_in.get("id") or not isinstance(user_in.get("email"), str):
            fail(422, message="user.id and user.email are required strings.")
        options = data.get("user_consent_options")
        if options is not None:
            self._check_consent_options(options)
        email = user_in["email"].strip().lower()
        with store.lock:
            ext = store.external_auths.get(ext_id)
            if ext is None:
                fail(404, message=f"External auth session not found: '{ext_id}'.")
            if ext["completed"]:
                fail(400, code="external_auth_session_already_completed", message="This external authentication session has already been completed.")
            if not _EMAIL.match(email):
                fail(400, code="invalid_email", message="The email address is invalid.")
            user = next((u for u in store.users.values() if u["external_id"] == user_in["id"]), None)
            holder = store.user_by_email(email)
            if holder and (user is None or holder["id"] != user["id"]):
                fail(400, code="email_not_available", message="The email address is already in use by another user.")
            if user is None:
                user = store.add_user(email, first_name=user_in.get("first_name"), last_name=user_in.get("last_name"), external_id=user_in["id"], metadata=user_in.get("metadata"))
            else:
                user.update({"email": email, "first_name": user_in.get("first_name", user["first_name"]), "last_name": user_in.get("last_name", user["last_name"]), "updated_at": store.iso()})
                if user_in.get("metadata") is not None:
                    user["metadata"] = user_in["metadata"]
            ext["completed"] = True
            consent_id = new_id("app_consent")
            store.consents[consent_id] = {"ext_id": ext_id, "user_id": user["id"], "options": options or [], "chosen": None, "used": False}
        return as_json({"redirect_uri": f"{self._issuer}/oauth2/consent?{urlencode({'consent_id': consent_id})}"})

    def _check_consent_options(self, options):
        if not isinstance(options, list):
            fail(422, message="user_consent_options must be a list.")
        for option in options:
            if not isinstance(option, dict) or not all(isinstance(option.get(k), str) and option.get(k) for k in ("claim", "label")):
                fail(422, message="Each consent option needs a claim, a type, a label and choices.")
            if option.get("type") != "enum":
                fail(400, code="user_consent_options_not_supported", message=f"Consent option type {option.get('type')!r} is not supported.")
            if option["claim"] in RESERVED_CLAIMS:
                fail(400, error="Bad Request", message=f'Claim "{option["claim"]}" is reserved and cannot be used.')
            choices = option.get("choices")
            if not isinstance(choices, list) or not choices:
                fail(422, message="Each consent option needs at least one choice.")
            for choice in choices:
                if isinstance(choice, dict) and "group" in choice:
                    inner = choice.get("choices")
                    if not isinstance(inner, list) or not inner or not all(self._is_choice(c) for c in inner):
                        fail(422, message="Each choice group needs choices with a value and a label.")
                elif not self._is_choice(choice):
                    fail(422, message="Each choice needs a value and a label.")

    @staticmethod
    def _is_choice(choice):
        return isinstance(choice, dict) and isinstance(choice.get("value"), str) and isinstance(choice.get("label"), str)

    @staticmethod
    def _flat_choices(option):
        for choice in option["choices"]:
            if "group" in choice:
                for inner in choice["choices"]:
                    yield choice["group"], inner
            else:
                yield None, choice

    def on_oauth2_consent(self, request):
        store = self.store
        consent_id = request.values.get("consent_id", "")
        with store.lock:
            consent = store.consents.get(consent_id)
            if consent is None or consent["used"]:
                return Response(pages.message("Consent expired", "This consent request is unknown or was already answered."), status=400, content_type="text/html")
            ext = store.external_auths[consent["ext_id"]]
            app = store.oauth_apps[ext["client_id"]]
            auto = store.auto_login
        options = consent["options"]
        if request.method == "GET" and not auto and options:
            return Response(pages.consent(consent_id, app, options, self._flat_choices), content_type="text/html")
        if request.method == "POST" and request.form.get("decision") == "deny":
            with store.lock:
                consent["used"] = True
            return _redirect(_with_query(ext["redirect_uri"], error="access_denied", state=ext["state"]))
        chosen = {}
        for option in options:
            valid = [c["value"] for _, c in self._flat_choices(option)]
            picked = request.form.get(option["claim"]) if request.method == "POST" else valid[0]
            if picked not in valid:
                return Response(pages.message("Choose an option", f"Pick one of the choices for {option['label']}."), status=400, content_type="text/html")
            chosen[option["claim"]] = picked
        code = store.token("", 24)
        with store.lock:
            consent["used"] = True
            consent["chosen"] = chosen
            store.codes[code] = {
                "kind": "oauth2",
                "client_id": ext["client_id"],
                "redirect_uri": ext["redirect_uri"],
                "code_challenge": ext["code_challenge"],
                "expires": store.now() + CODE_TTL,
                "used": False,
                "user_id": consent["user_id"],
                "consent_id": consent_id,
                "claims": chosen,
                "nonce": ext["nonce"],
                "scope": ext["scope"],
            }
        return _redirect(_with_query(ext["redirect_uri"], code=code, state=ext["state"]))

    def on_oauth2_token(self, request):
        data = self.body(request)
        store = self.store
        auth = request.authorization
        client_id = data.get("client_id") or (auth.username if auth else None)
        secret = data.get("client_secret") or (auth.password if auth else None)
        with store.lock:
            app = store.oauth_apps.get(client_id or "")
        if app is None:
            oauth_fail("invalid_client", "Unknown client.", 401)
        if app["client_secret"] is not None and not (secret and hmac.compare_digest(secret, app["client_secret"])):
            oauth_fail("invalid_client", "Client authentication failed.", 401)
        if data.get("grant_type") != "authorization_code":
            oauth_fail("unsupported_grant_type", "Only authorization_code is supported by the emulator.")
        with store.lock:
            record = store.codes.get(data.get("code") or "")
            if record is None or record["used"] or record["kind"] != "oauth2" or record["expires"] < store.now():
                oauth_fail("invalid_grant", "The code has expired or is invalid.")
            record["used"] = True
            if record["client_id"] != client_id or record["redirect_uri"] != data.get("redirect_uri"):
                oauth_fail("invalid_grant", "The code was issued to another client or redirect_uri.")
            if record["code_challenge"]:
                verifier = data.get("code_verifier") or ""
                if not hmac.compare_digest(_s256(verifier), record["code_challenge"]):
                    oauth_fail("invalid_grant", "The code_verifier does not match the code_challenge.")
            user = public(store.users[record["user_id"]])
        now = int(store.now())
        base = {"iss": self._issuer, "aud": client_id, "sub": user["id"], "iat": now, "exp": now + 3600}
        access = dict(base, jti=new_id("jti")[4:], sid=record["consent_id"], email=user["email"], external_id=user["external_id"], scope=record["scope"], **record["claims"])
        id_token = dict(base, email=user["email"], email_verified=user["email_verified"], given_name=user["first_name"], family_name=user["last_name"])
        if record["nonce"]:
            id_token["nonce"] = record["nonce"]
        return as_json({"access_token": self.key.sign(access), "token_type": "bearer", "expires_in": 3600, "id_token": self.key.sign(id_token)})

    def on_oauth2_jwks(self, request):
        return as_json({"keys": [self.key.jwk]})

    def on_oauth2_metadata(self, request):
        base = self._issuer
        return as_json({
            "issuer": base,
            "authorization_endpoint": f"{base}/oauth2/authorize",
            "token_endpoint": f"{base}/oauth2/token",
            "jwks_uri": f"{base}/oauth2/jwks",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
        })

    # ------------------------------------------------------------------------------------------
    # webhooks
    # ------------------------------------------------------------------------------------------
    def emit(self, event_type, data, wait=False):
        """Record an event and deliver it, signed, to every registered endpoint that wants it."""
        store = self.store
        event = {"object": "event", "id": new_id("event"), "event": event_type, "data": data, "created_at": store.iso()}
        with store.lock:
            store.events.append(event)
            del store.events[:-2000]
            targets = [e for e in store.webhook_endpoints if "*" in e["events"] or event_type in e["events"]]
        threads = [threading.Thread(target=self._deliver, args=(endpoint, event), daemon=True) for endpoint in targets]
        for thread in threads:
            thread.start()
        if wait:
            for thread in threads:
                thread.join(15)
        return event

    @staticmethod
    def sign_webhook(secret, body, timestamp_ms=None):
        ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        digest = hmac.new(secret.encode(), f"{ts}.{body}".encode(), hashlib.sha256).hexdigest()
        return f"t={ts}, v1={digest}"

    def _deliver(self, endpoint, event):
        body = json.dumps(event)
        headers = {"Content-Type": "application/json", "WorkOS-Signature": self.sign_webhook(endpoint["secret"], body)}
        try:
            status = requests.post(endpoint["url"], data=body, headers=headers, timeout=10).status_code
        except requests.RequestException as exc:
            status = f"error: {exc.__class__.__name__}"
        with self.store.lock:
            self.store.deliveries.append({"event_id": event["id"], "event": event["event"], "url": endpoint["url"], "status": status})

    # ------------------------------------------------------------------------------------------
    # control surface (tests and development only)
    # ------------------------------------------------------------------------------------------
    def on_ctl_health(self, request):
        return as_json({"status": "ok", "api_key": self.store.api_key, "client_id": self.store.client_id})

    def on_ctl_reset(self, request):
        self.store.reset()
        return as_json({"status": "reset"})

    def on_ctl_seed(self, request):
        return as_json(self.store.seed(self.body(request)), 201)

    def on_ctl_settings(self, request):
        data = self.body(request)
        with self.store.lock:
            for key in ("auto_login", "connect_login_uri", "redirect_uris", "logout_redirect_uris", "api_key", "client_id"):
                if key in data:
                    setattr(self.store, key, data[key])
        return as_json({"status": "ok"})

    def on_ctl_state(self, request):
        store = self.store
        with store.lock:
            return as_json({
                "users": [public(u) for u in store.users.values()],
                "organizations": [public(o) for o in store.organizations.values()],
                "connections": [public(c) for c in store.connections.values()],
                "sessions": [public(s) for s in store.sessions.values()],
                "memberships": [public(m) for m in store.memberships.values()],
                "oauth_applications": list(store.oauth_apps.values()),
            })

    def on_ctl_errors(self, request):
        store = self.store
        if request.method == "GET":
            with store.lock:
                return as_json(store.injections)
        if request.method == "DELETE":
            with store.lock:
                store.injections.clear()
            return as_json({"status": "cleared"})
        data = self.body(request)
        rule = {
            "method": data.get("method", "*").upper(),
            "path": data["path"],
            "status": int(data.get("status", 500)),
            "body": data.get("body", {"message": "Injected error."}),
            "raw": data.get("raw"),
            "content_type": data.get("content_type", "application/json"),
            "headers": data.get("headers") or {},
            "latency_ms": int(data.get("latency_ms", 0)),
            "times": data.get("times"),
            "passthrough": bool(data.get("passthrough", False)),
            "after": bool(data.get("after", False)),
        }
        with store.lock:
            store.injections.insert(0, rule)
        return as_json(rule, 201)

    def on_ctl_requests(self, request):
        with self.store.lock:
            if request.method == "DELETE":
                self.store.requests.clear()
                return as_json({"status": "cleared"})
            return as_json(list(self.store.requests))

    def on_ctl_clock(self, request):
        data = self.body(request)
        with self.store.lock:
            self.store.clock_offset += float(data.get("advance", 0))
        return as_json({"now": self.store.now()})

    def on_ctl_codes(self, request):
        """Issue an authorization code without a browser, as the hosted page would."""
        data = self.body(request)
        store = self.store
        flow = {
            "kind": data.get("kind", "authkit"),
            "client_id": store.client_id,
            "redirect_uri": data.get("redirect_uri", "http://127.0.0.1/callback"),
            "state": data.get("state"),
            "code_challenge": data.get("code_challenge", ""),
            "organization_id": data.get("organization_id"),
        }
        with store.lock:
            if flow["kind"] == "sso":
                conn = store.connections.get(data.get("connection_id", ""))
                if conn is None:
                    fail(404, message="connection_id is unknown.")
                seed = next((p for p in conn["_profiles"] if p["email"].lower() == data.get("email", "").lower()), None)
                if seed is None:
                    fail(404, message="That email is not a profile of the connection.")
                location = self._issue_code(flow, profile=self._profile(conn, seed))
            else:
                user = store.user_by_email(data.get("email"))
                if user is None:
                    fail(404, message="No WorkOS user has that email.")
                location = self._issue_code(flow, user_id=user["id"], method=data.get("method", "Password"))
        code = dict(parse_qsl(urlsplit(location).query))["code"]
        return as_json({"code": code, "location": location}, 201)

    def on_ctl_events(self, request):
        if request.method == "POST":
            data = self.body(request)
            event = self.emit(data["event"], data.get("data", {}), wait=True)
            with self.store.lock:
                deliveries = [d for d in self.store.deliveries if d["event_id"] == event["id"]]
            return as_json({"event": event, "deliveries": deliveries}, 201)
        with self.store.lock:
            return as_json({"events": list(self.store.events), "deliveries": list(self.store.deliveries)})
