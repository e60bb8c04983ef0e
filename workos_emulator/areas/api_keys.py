"""Organization API keys: create and list per organization, delete, and validate a key's value.

A key's value is shown once, in the answer that creates it; the store keeps its SHA-256 only.
Validation answers `{"api_key": null}` for a value that is unknown, deleted or expired, and
records when a key was last used.
"""

import datetime as dt
import hashlib
import secrets

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from workos_emulator.http import as_json, check_types, fail
from workos_emulator.store import new_id, public

CREATE_FIELDS = {"name": str, "permissions": (list, None), "expires_at": (str, None)}


def _hash(value):
    return hashlib.sha256(value.encode()).hexdigest()


class ApiKeys:
    ROUTES = [
        Rule("/organizations/<organization_id>/api_keys", endpoint="organization_api_keys", methods=["GET", "POST"]),
        Rule("/api_keys/validations", endpoint="api_key_validations", methods=["POST"]),
        Rule("/api_keys/<key_id>", endpoint="api_key", methods=["DELETE"]),
    ]

    def on_organization_api_keys(self, request, organization_id):
        self.require_api_key(request)
        store = self.store
        if request.method == "GET":
            with store.lock:
                self._organization_or_404(organization_id)
                return self._page(
                    request,
                    store.api_keys,
                    match=lambda key: key["owner"]["id"] == organization_id,
                )
        data = check_types(self.body(request), CREATE_FIELDS)
        name = (data.get("name") or "").strip()
        permissions = data.get("permissions") or []
        errors = []
        if not name:
            errors.append({"code": "required", "field": "name"})
        if not all(isinstance(p, str) and p for p in permissions):
            errors.append({"code": "invalid", "field": "permissions"})
        expires = None
        if data.get("expires_at"):
            try:
                expires = dt.datetime.fromisoformat(data["expires_at"]).timestamp()
            except ValueError:
                errors.append({"code": "invalid", "field": "expires_at"})
            else:
                if expires <= store.now():
                    errors.append({"code": "must_be_future", "field": "expires_at"})
        if errors:
            fail(422, message="Validation failed.", errors=errors)
        with store.lock:
            self._organization_or_404(organization_id)
            value = "sk_" + secrets.token_urlsafe(32)
            now = store.iso()
            key = {
                "object": "api_key",
                "id": new_id("api_key"),
                "owner": {"type": "organization", "id": organization_id},
                "name": name,
                "obfuscated_value": f"sk_...{value[-4:]}",
                "last_used_at": None,
                "expires_at": store.iso(expires) if expires else None,
                "permissions": list(dict.fromkeys(permissions)),
                "created_at": now,
                "updated_at": now,
                "_hash": _hash(value),
                "_expires": expires,
            }
            store.api_keys[key["id"]] = key
            self.emit("api_key.created", public(key))
            return as_json({**public(key), "value": value}, 201)

    def on_api_key(self, request, key_id):
        self.require_api_key(request)
        with self.store.lock:
            key = self.store.api_keys.pop(key_id, None)
            if key is None:
                fail(404, message=f"API Key not found: '{key_id}'.")
            self.emit("api_key.revoked", public(key))
        return Response(status=204)

    def on_api_key_validations(self, request):
        self.require_api_key(request)
        data = check_types(self.body(request), {"value": str})
        if not data.get("value"):
            fail(422, message="value is required.")
        store = self.store
        digest = _hash(data["value"])
        with store.lock:
            key = next(
                (k for k in store.api_keys.values() if secrets.compare_digest(k["_hash"], digest)),
                None,
            )
            if key is None or (key["_expires"] is not None and key["_expires"] <= store.now()):
                return as_json({"api_key": None})
            key["last_used_at"] = store.iso()
            return as_json({"api_key": public(key)})
