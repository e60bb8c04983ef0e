"""The emulator's WSGI application: WorkOS API routes, hosted pages, and a private control surface.

Routes follow WorkOS's OpenAPI spec; responses are the spec's shapes. Server-side endpoints need
`Authorization: Bearer <api key>`; token endpoints check client_id/client_secret (or PKCE).
Everything under `/_emulator/` is for tests and development only (seed, reset, error injection,
request log, clock, webhooks).
"""

import bisect
import fnmatch
import hmac
import itertools
import json
import os
import random
import time
import uuid
from pathlib import Path

import orjson
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response

from workos_emulator.areas.api_keys import ApiKeys
from workos_emulator.areas.audit_logs import AuditLogs
from workos_emulator.areas.authkit import AuthKit
from workos_emulator.areas.connect import Connect
from workos_emulator.areas.control import Control
from workos_emulator.areas.directories import Directories
from workos_emulator.areas.events import Events
from workos_emulator.areas.invitations import Invitations
from workos_emulator.areas.organizations import Organizations
from workos_emulator.areas.portal import Portal
from workos_emulator.areas.sso import SSO
from workos_emulator.areas.steps import AuthSteps
from workos_emulator.areas.users import Users
from workos_emulator.http import Reply, as_json, fail, is_loopback
from workos_emulator.keys import SigningKey
from workos_emulator.store import Listed, Store, new_id, public


class EmulatorApp(
    AuthKit,
    AuthSteps,
    Users,
    Organizations,
    ApiKeys,
    Invitations,
    Portal,
    AuditLogs,
    SSO,
    Directories,
    Connect,
    Events,
    Control,
):
    """The WSGI application: the product areas' routes in one map, plus plumbing (request log,
    fault injection, dispatch) and the checks every area shares."""

    def __init__(self, store=None, public_url="", state_file=None):
        self.store = store or Store()
        self.key = SigningKey("sso_oidc_key_pair_" + new_id("k")[2:])
        self.public_url = public_url.rstrip("/")
        areas = [area for area in type(self).__mro__ if "ROUTES" in vars(area)]
        self.url_map = Map([rule.empty() for area in areas for rule in area.ROUTES])
        self.state_file = Path(state_file) if state_file else None
        if self.state_file and self.state_file.exists():
            try:
                document = json.loads(self.state_file.read_text())
            except OSError as exc:
                raise ValueError(exc.strerror or str(exc)) from exc
            self.import_state(document)

    # ------------------------------------------------------------------------------------------
    # state: export, import, and the optional state file written after every change
    # ------------------------------------------------------------------------------------------
    def export_state(self):
        """Everything a restart would lose: the store and the signing key (tokens stay valid)."""
        return {**self.store.export(), "signing_key": {"kid": self.key.kid, "pem": self.key.pem()}}

    def import_state(self, document):
        """Replace the state with an exported one. Raises ValueError if the document is not one."""
        key = document.get("signing_key") if isinstance(document, dict) else None
        if key is not None and not (
            isinstance(key, dict) and isinstance(key.get("kid"), str) and isinstance(key.get("pem"), str)
        ):
            raise ValueError("signing_key must be {kid, pem}")
        try:
            signing_key = SigningKey(key["kid"], key["pem"]) if key else None
        except (ValueError, TypeError) as exc:
            raise ValueError(f"signing_key: {exc}") from exc
        self.store.load(document)
        if signing_key:
            self.key = signing_key
        self.save_state()

    def save_state(self):
        """Write the state file atomically (a crash mid-write leaves the previous state)."""
        if self.state_file is None:
            return
        with self.store.lock:
            text = json.dumps(self.export_state())
            partial = self.state_file.with_name(self.state_file.name + ".tmp")
            partial.write_text(text)
            os.replace(partial, self.state_file)

    # ------------------------------------------------------------------------------------------
    # WSGI plumbing: log, inject faults, route, answer
    # ------------------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request):
        started = time.perf_counter()
        # the log of the state this request began in: one still running when a test resets the
        # emulator (or clears the log) is not written into the next test's log
        log = self.store.requests
        if not self.public_url:
            self.public_url = request.host_url.rstrip("/")
        path = request.path
        control = path.startswith("/_emulator/")
        if not control:
            self._delay(request.method, path)
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
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                self.save_state()
            if not control:
                # "after" faults: the request was carried out, then its answer is lost (replaced, or late)
                response = self._take_injection(request.method, path, after=True) or response
        if not control:
            # as WorkOS does: an id per answer, to quote when asking WorkOS about a request
            response.headers.setdefault("X-Request-ID", str(uuid.uuid4()))
            self._log(log, request, response, time.perf_counter() - started)
        return response

    def _log(self, log, request, response, seconds):
        body = None
        if response.mimetype == "application/json":
            raw = response.get_data()
            try:
                body = orjson.loads(raw) if raw else None
            except ValueError:  # an injected fault's raw, malformed body: logged as text
                body = raw.decode(errors="replace")
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
            log.append(entry)
            del log[:-5000]

    def _delay(self, method, path):
        """A slow WorkOS: the newest latency rule matching the request holds its answer back."""
        with self.store.lock:
            rule = next(
                (
                    r
                    for r in self.store.latency
                    if r["method"] in ("*", method) and fnmatch.fnmatchcase(path, r["path"])
                ),
                None,
            )
        if rule is not None:
            time.sleep((rule["ms"] + random.uniform(0, rule["jitter_ms"])) / 1000)

    def _take_injection(self, method, path, after):
        store = self.store
        with store.lock:
            for rule in store.injections:
                if (
                    rule["method"] not in ("*", method)
                    or not fnmatch.fnmatchcase(path, rule["path"])
                    or rule["after"] != after
                ):
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
            return Response(
                rule["raw"],
                status=rule["status"],
                headers=headers,
                content_type=rule.get("content_type", "application/json"),
            )
        return as_json(rule["body"], rule["status"], headers)

    # ------------------------------------------------------------------------------------------
    # shared checks
    # ------------------------------------------------------------------------------------------
    def body(self, request, malformed_status=422):
        """JSON or form body as a dict (token endpoints accept both, as WorkOS does). A body that
        is not a JSON object is `malformed_status`, in the error shape the operation documents."""
        if request.mimetype == "application/x-www-form-urlencoded":
            return request.form.to_dict()
        raw = request.get_data(as_text=True)
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            data = None
        if not isinstance(data, dict):
            if malformed_status == 422:
                fail(422, code="invalid_request_parameters", message="The request body must be a JSON object.")
            fail(malformed_status, message="The request body must be a JSON object.")
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
        if not allowed and is_loopback(uri):
            return None
        return f"redirect_uri {uri!r} is not an allowed redirect URI for this environment."

    def base_url(self, request):
        return request.host_url.rstrip("/")

    def _page(self, request, items, default_order="desc", match=None, view=public):
        """WorkOS list pagination: order by id, `after`/`before` cursors, 1..100 per page.

        `items` is a `Listed` collection, with `match` choosing its records (a page then costs
        what it returns, however large the collection), or a short list of records; `view`
        renders each record."""
        args = request.args

        def invalid(field, message):
            fail(422, code="invalid_request_parameters", message=message, field=field)

        try:
            limit = int(args.get("limit", 10))
        except ValueError:
            invalid("limit", "limit must be an integer.")
        if not 1 <= limit <= 100:
            invalid("limit", "limit must be between 1 and 100.")
        order = args.get("order", default_order)
        if order not in ("asc", "desc", "normal"):
            invalid("order", "order must be asc, desc or normal.")
        if not isinstance(items, Listed):
            items = Listed((o["id"], o) for o in items)
        ids, count, ascending = items.ids, len(items.ids), order != "desc"

        def position(cursor):  # where a cursor id stands in the requested order (None: absent)
            i = bisect.bisect_left(ids, cursor)
            if i == count or ids[i] != cursor:
                return None
            return i if ascending else count - 1 - i

        def scan(k, step):  # the matching records from position k on, in `step` direction
            while 0 <= k < count:
                record = items[ids[k if ascending else count - 1 - k]]
                if match is None or match(record):
                    yield record
                k += step

        after, before = args.get("after"), args.get("before")
        if before and not after:
            end = position(before) or 0
            found = list(itertools.islice(scan(end - 1, -1), limit + 1))
            window = found[:limit][::-1]
            has_before = len(found) > limit
            has_after = bool(window) and next(scan(end, 1), None) is not None
        else:
            start = 0
            if after:
                at = position(after)
                start = count if at is None else at + 1
            found = list(itertools.islice(scan(start, 1), limit + 1))
            window = found[:limit]
            has_after = len(found) > limit
            has_before = bool(window) and next(scan(start - 1, -1), None) is not None
        return as_json(
            {
                "object": "list",
                "data": [view(o) for o in window],
                "list_metadata": {
                    "before": window[0]["id"] if has_before else None,
                    "after": window[-1]["id"] if has_after else None,
                },
            }
        )
