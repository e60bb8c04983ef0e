"""Users: create, read, update, delete, find by external id; their sessions and identities."""

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from workos_emulator.http import EMAIL, as_json, check_types, fail
from workos_emulator.store import public

USER_FIELDS = {
    "email": str,
    "password": str,
    "first_name": (str, None),
    "last_name": (str, None),
    "email_verified": bool,
    "external_id": (str, None),
    "metadata": (dict, None),
    "locale": (str, None),
}


class Users:
    ROUTES = [
        Rule("/user_management/users", endpoint="users", methods=["GET", "POST"]),
        Rule("/user_management/users/external_id/<external_id>", endpoint="user_by_external_id", methods=["GET"]),
        Rule("/user_management/users/<user_id>", endpoint="user", methods=["GET", "PUT", "DELETE"]),
        Rule("/user_management/users/<user_id>/sessions", endpoint="user_sessions", methods=["GET"]),
        Rule("/user_management/users/<user_id>/identities", endpoint="user_identities", methods=["GET"]),
    ]

    def on_users(self, request):
        self.require_api_key(request)
        store = self.store
        if request.method == "POST":
            data = check_types(self.body(request), USER_FIELDS)
            email = (data.get("email") or "").strip().lower()
            if not EMAIL.match(email):
                fail(422, code="invalid_request_parameters", message="email must be a valid email address.")
            with store.lock:
                if store.user_by_email(email):
                    fail(
                        400,
                        code="user_creation_error",
                        message="A user with this email already exists.",
                        errors=[{"code": "email_not_available", "message": "Email is not available."}],
                    )
                user = store.add_user(
                    email,
                    password=data.get("password"),
                    first_name=data.get("first_name"),
                    last_name=data.get("last_name"),
                    email_verified=bool(data.get("email_verified", False)),
                    external_id=data.get("external_id"),
                    metadata=data.get("metadata"),
                )
            self.emit("user.created", public(user))
            return as_json(public(user), 201)
        with store.lock:
            email = (request.args.get("email") or "").lower()
            org_id = request.args.get("organization_id")
            members = (
                {m["user_id"] for m in store.memberships.values() if m["organization_id"] == org_id} if org_id else None
            )

            def match(u):
                return (not email or u["email"] == email) and (members is None or u["id"] in members)

            return self._page(request, store.users, match=match if email or org_id else None)

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
                snapshot = public(store.delete_user(user_id))
            else:
                data = check_types(self.body(request), USER_FIELDS)
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
        return Response(status=200) if request.method == "DELETE" else as_json(snapshot)

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

    def on_user_identities(self, request, user_id):
        """The OAuth identities (Google, Microsoft...) a user signed in with; seeded as `identities`."""
        self.require_api_key(request)
        with self.store.lock:
            user = self._user_or_404(user_id)
            return as_json(list(user.get("_identities", [])))
