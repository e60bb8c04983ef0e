"""Webhooks: events the emulator emits, signed and delivered to registered endpoints."""

import hashlib
import hmac
import json
import threading
import time

import requests

from workos_emulator.store import new_id


class Events:
    ROUTES = [
    ]

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
