"""The private control surface under `/_emulator/` (tests and development only)."""

from urllib.parse import parse_qsl, urlsplit

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from workos_emulator import pages
from workos_emulator.http import EMAIL, as_json, fail, is_loopback, redirect_to
from workos_emulator.store import public


class Control:
    ROUTES = [
        Rule("/_emulator/health", endpoint="ctl_health", methods=["GET"]),
        Rule("/_emulator/reset", endpoint="ctl_reset", methods=["POST"]),
        Rule("/_emulator/seed", endpoint="ctl_seed", methods=["POST"]),
        Rule("/_emulator/state", endpoint="ctl_state", methods=["GET"]),
        Rule("/_emulator/state/export", endpoint="ctl_export", methods=["GET"]),
        Rule("/_emulator/state/import", endpoint="ctl_import", methods=["POST"]),
        Rule("/_emulator/settings", endpoint="ctl_settings", methods=["POST"]),
        Rule("/_emulator/errors", endpoint="ctl_errors", methods=["GET", "POST", "DELETE"]),
        Rule("/_emulator/latency", endpoint="ctl_latency", methods=["GET", "POST", "DELETE"]),
        Rule("/_emulator/requests", endpoint="ctl_requests", methods=["GET", "DELETE"]),
        Rule("/_emulator/clock", endpoint="ctl_clock", methods=["POST"]),
        Rule("/_emulator/codes", endpoint="ctl_codes", methods=["POST"]),
        Rule("/_emulator/impersonate", endpoint="ctl_impersonate", methods=["GET", "POST"]),
        Rule("/_emulator/events", endpoint="ctl_events", methods=["GET", "POST"]),
    ]

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
            for key in (
                "device_interval",
                "auto_login",
                "connect_login_uri",
                "redirect_uris",
                "logout_redirect_uris",
                "api_key",
                "client_id",
                "password_reset_url",
            ):
                if key in data:
                    setattr(self.store, key, data[key])
        return as_json({"status": "ok"})

    def on_ctl_state(self, request):
        store = self.store
        with store.lock:
            return as_json(
                {
                    "users": [public(u) for u in store.users.values()],
                    "organizations": [public(o) for o in store.organizations.values()],
                    "connections": [public(c) for c in store.connections.values()],
                    "sessions": [public(s) for s in store.sessions.values()],
                    "memberships": [public(m) for m in store.memberships.values()],
                    "oauth_applications": list(store.oauth_apps.values()),
                }
            )

    def on_ctl_export(self, request):
        """The whole state, to replay later with /_emulator/state/import or `--state FILE`."""
        return as_json(
            self.export_state(), headers={"Content-Disposition": 'attachment; filename="workos-emulator-state.json"'}
        )

    def on_ctl_import(self, request):
        try:
            self.import_state(self.body(request))
        except ValueError as exc:
            fail(422, code="invalid_state", message=str(exc))
        store = self.store
        with store.lock:
            counts = {
                "users": len(store.users),
                "organizations": len(store.organizations),
                "connections": len(store.connections),
            }
        return as_json({"status": "imported", **counts})

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

    def on_ctl_latency(self, request):
        """A slow WorkOS: POST `{ms, jitter_ms?, path?, method?}` delays every answer whose path
        matches the glob (default: every API route) by ms plus up to jitter_ms; the newest
        matching rule wins. GET lists the rules, DELETE removes them (--latency's too)."""
        store = self.store
        if request.method == "GET":
            with store.lock:
                return as_json(list(store.latency))
        if request.method == "DELETE":
            with store.lock:
                store.latency = []
            return as_json({"status": "cleared"})
        try:
            rule = latency_rule(self.body(request))
        except ValueError as exc:
            fail(422, code="invalid_request_parameters", message=str(exc))
        with store.lock:
            store.latency.insert(0, rule)
        return as_json(rule, 201)

    def on_ctl_requests(self, request):
        with self.store.lock:
            if request.method == "DELETE":
                self.store.requests = []  # a new list: requests still running log into the old one
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
                impersonator = data.get("impersonator")
                extra = {"impersonator": self._impersonator(impersonator)} if impersonator else {}
                location = self._issue_code(flow, user_id=user["id"], method=data.get("method", "Password"), **extra)
        code = dict(parse_qsl(urlsplit(location).query))["code"]
        return as_json({"code": code, "location": location}, 201)

    @staticmethod
    def _impersonator(given):
        if not isinstance(given, dict) or not EMAIL.match(str(given.get("email") or "")):
            fail(422, message="impersonator must be {email, reason}.")
        return {"email": given["email"].lower(), "reason": str(given.get("reason") or "")[:500] or None}

    def on_ctl_impersonate(self, request):
        """WorkOS's dashboard "Impersonate user", for the demo: staff name a user and a reason; the
        next AuthKit sign-in (started by the application's sign-in page, `app`) signs in as that
        user with the impersonator on the session."""
        store = self.store
        if request.method == "GET":
            with store.lock:
                users = sorted(u["email"] for u in store.users.values())
                app = store.login_uri or "http://127.0.0.1:8000/auth/workos/start"
            return Response(pages.impersonate(users, app), content_type="text/html")
        form = request.form
        with store.lock:
            user = store.user_by_email(form.get("email"))
            if user is None:
                page = pages.message("Unknown user", "No user has that email.")
                return Response(page, status=404, content_type="text/html")
            store.impersonation = {
                "user_id": user["id"],
                **self._impersonator({"email": form.get("impersonator"), "reason": form.get("reason")}),
            }
        app = form.get("app") or ""
        return redirect_to(app if app.startswith("/") or is_loopback(app) else "/")

    def on_ctl_events(self, request):
        if request.method == "POST":
            data = self.body(request)
            event = self.emit(data["event"], data.get("data", {}), wait=True)
            with self.store.lock:
                deliveries = [d for d in self.store.deliveries if d["event_id"] == event["id"]]
            return as_json({"event": event, "deliveries": deliveries}, 201)
        with self.store.lock:
            return as_json(
                {"events": [public(e) for e in self.store.events], "deliveries": list(self.store.deliveries)}
            )


def latency_rule(data):
    """A latency rule from its JSON form; ValueError names what is wrong."""
    try:
        ms, jitter = int(data.get("ms", 0)), int(data.get("jitter_ms", 0))
    except (TypeError, ValueError):
        raise ValueError("ms and jitter_ms must be whole numbers of milliseconds.") from None
    if not (0 <= ms <= 120_000 and 0 <= jitter <= 120_000):
        raise ValueError("ms and jitter_ms must be between 0 and 120000.")
    path = data.get("path") or "*"
    if not isinstance(path, str) or not path.startswith(("/", "*")):
        raise ValueError("path must be a glob of API paths, such as /user_management/* or *.")
    return {"path": path, "method": str(data.get("method") or "*").upper(), "ms": ms, "jitter_ms": jitter}


def parse_latency(spec):
    """`--latency` on the command line: `[PATH=]MS[~JITTER]`, e.g. `250`, `250~50`,
    `/user_management/authenticate=300`."""
    path, _, timing = spec.rpartition("=")
    ms, _, jitter = timing.partition("~")
    return latency_rule({"path": path or "*", "ms": ms, "jitter_ms": jitter or 0})
