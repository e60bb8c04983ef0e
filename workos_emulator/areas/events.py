"""Events: every event the emulator emits is recorded in order (the Events API reads them back,
so a consumer can catch up after downtime) and delivered, signed, to the webhook endpoints."""

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from urllib.parse import urlsplit

import requests
from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from workos_emulator.http import as_json, check_types, fail
from workos_emulator.store import new_id, public

MAX_EVENTS = 20_000  # the oldest are dropped beyond this (WorkOS keeps 30 days)
ENDPOINT_FIELDS = {"endpoint_url": str, "events": list, "status": str}


def _timestamp(value, field):
    """An ISO 8601 UTC timestamp with a `Z` suffix (as WorkOS requires), as epoch seconds."""
    try:
        if not value.endswith("Z"):
            raise ValueError
        return dt.datetime.fromisoformat(value[:-1]).replace(tzinfo=dt.UTC).timestamp()
    except ValueError:
        fail(422, message="Validation failed.", errors=[{"code": "invalid_date", "field": field}])


class Events:
    ROUTES = [
        Rule("/events", endpoint="events", methods=["GET"]),
        Rule("/webhook_endpoints", endpoint="webhook_endpoints", methods=["GET", "POST"]),
        Rule("/webhook_endpoints/<endpoint_id>", endpoint="webhook_endpoint", methods=["PATCH", "DELETE"]),
    ]

    # -- emitting and delivering --------------------------------------------------------------
    def emit(self, event_type, data, wait=False):
        """Record an event and deliver it, signed, to every enabled endpoint that wants it."""
        store = self.store
        with store.lock:
            event = {
                "object": "event",
                "id": new_id("event"),
                "event": event_type,
                "data": data,
                "created_at": store.iso(),
            }
            event["_at"] = store.now()
            store.events.append(event)
            del store.events[:-MAX_EVENTS]
            targets = [
                dict(e)
                for e in store.webhook_endpoints.values()
                if e["status"] == "enabled" and ("*" in e["events"] or event_type in e["events"])
            ]
        event = public(event)
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
            status = requests.post(endpoint["endpoint_url"], data=body, headers=headers, timeout=10).status_code
        except requests.RequestException as exc:
            status = f"error: {exc.__class__.__name__}"
        with self.store.lock:
            self.store.deliveries.append(
                {"event_id": event["id"], "event": event["event"], "url": endpoint["endpoint_url"], "status": status}
            )
            del self.store.deliveries[:-MAX_EVENTS]

    # -- the Events API -----------------------------------------------------------------------
    def on_events(self, request):
        """Oldest first by default; `after` pages forward. Filters: `events` (comma-joined or
        repeated), `range_start`/`range_end` (UTC, `Z`), `organization_id`."""
        self.require_api_key(request)
        args = request.args
        types = {t.strip() for value in args.getlist("events") for t in value.split(",") if t.strip()}
        start = _timestamp(args["range_start"], "range_start") if args.get("range_start") else None
        end = _timestamp(args["range_end"], "range_end") if args.get("range_end") else None
        org_id = args.get("organization_id")
        with self.store.lock:
            found = [
                e
                for e in self.store.events
                if (not types or e["event"] in types)
                and (start is None or e["_at"] >= start)
                and (end is None or e["_at"] <= end)
                and (not org_id or self._event_organization(e) == org_id)
            ]
            return self._page(request, found, default_order="asc")

    @staticmethod
    def _event_organization(event):
        data = event["data"]
        if data.get("object") == "organization":
            return data.get("id")
        return data.get("organization_id") or (data.get("sso") or {}).get("organization_id")

    # -- webhook endpoints --------------------------------------------------------------------
    def _endpoint_input(self, data, partial):
        check_types(data, ENDPOINT_FIELDS)
        url = data.get("endpoint_url")
        if url is not None or not partial:
            parts = urlsplit(url or "")
            if parts.scheme not in ("http", "https") or not parts.netloc:
                fail(422, code="invalid_url", message="endpoint_url must be an absolute http(s) URL.")
        events = data.get("events")
        if (events is not None or not partial) and (not events or not all(isinstance(e, str) and e for e in events)):
            fail(422, code="invalid_request_parameters", message="events must list event types.", field="events")
        if data.get("status") not in (None, "enabled", "disabled"):
            fail(422, code="invalid_request_parameters", message="status must be enabled or disabled.", field="status")
        return data

    def _duplicate_endpoint(self, url, but=None):
        if any(e["endpoint_url"] == url and e["id"] != but for e in self.store.webhook_endpoints.values()):
            fail(409, code="duplicate_endpoint", message="A webhook endpoint with this URL already exists.")

    def on_webhook_endpoints(self, request):
        self.require_api_key(request)
        store = self.store
        if request.method == "GET":
            with store.lock:
                return self._page(request, list(store.webhook_endpoints.values()))
        data = self._endpoint_input(self.body(request), partial=False)
        with store.lock:
            self._duplicate_endpoint(data["endpoint_url"])
            endpoint = store.add_webhook_endpoint(data["endpoint_url"], events=data["events"])
            return as_json(public(endpoint), 201)

    def on_webhook_endpoint(self, request, endpoint_id):
        self.require_api_key(request)
        store = self.store
        with store.lock:
            endpoint = store.webhook_endpoints.get(endpoint_id)
            if endpoint is None:
                fail(404, code="entity_not_found", message=f"Webhook endpoint not found: '{endpoint_id}'.")
            if request.method == "DELETE":
                del store.webhook_endpoints[endpoint_id]
                return Response(status=204)
            data = self._endpoint_input(self.body(request), partial=True)
            if data.get("endpoint_url"):
                self._duplicate_endpoint(data["endpoint_url"], but=endpoint_id)
            endpoint.update({k: data[k] for k in ("endpoint_url", "events", "status") if data.get(k) is not None})
            endpoint["updated_at"] = store.iso()
            return as_json(public(endpoint))
