"""Directory Sync: directories, directory users and groups (read through the API, as WorkOS
serves them), and control endpoints that play the customer's identity provider: add, change,
suspend and remove people, each change emitted as the `dsync.*` events WorkOS would send.
`GET /_emulator/directory` is the same as a page with buttons, for demos."""

from html import escape

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from workos_emulator import pages
from workos_emulator.http import as_json, check_types, fail, redirect_to
from workos_emulator.store import public

USER_FIELDS = {
    "email": str,
    "first_name": str,
    "last_name": str,
    "state": str,
    "role": str,
    "groups": list,
    "job_title": str,
    "id": str,
}
STATES = ("active", "suspended", "inactive")


class Directories:
    ROUTES = [
        Rule("/directories", endpoint="directories", methods=["GET"]),
        Rule("/directories/<directory_id>", endpoint="directory", methods=["GET", "DELETE"]),
        Rule("/directory_groups", endpoint="directory_groups", methods=["GET"]),
        Rule("/directory_groups/<group_id>", endpoint="directory_group", methods=["GET"]),
        Rule("/directory_users", endpoint="directory_users", methods=["GET"]),
        Rule("/directory_users/<user_id>", endpoint="directory_user", methods=["GET"]),
        # the customer's identity provider, played by tests and demos
        Rule("/_emulator/directories", endpoint="ctl_directories", methods=["POST"]),
        Rule("/_emulator/directories/<directory_id>/users", endpoint="ctl_directory_users", methods=["POST"]),
        Rule("/_emulator/directory_users/<user_id>", endpoint="ctl_directory_user", methods=["PATCH", "DELETE"]),
        Rule("/_emulator/directory_users/<user_id>/<action>", endpoint="ctl_directory_user_action", methods=["POST"]),
        Rule("/_emulator/directory", endpoint="ctl_directory_page", methods=["GET"]),
    ]

    # -- the API --------------------------------------------------------------------------------
    def on_directories(self, request):
        self.require_api_key(request)
        args = request.args
        org, needle, domain = (
            args.get("organization_id"),
            (args.get("search") or "").lower(),
            (args.get("domain") or "").lower(),
        )

        def match(d):
            return (
                (not org or d["organization_id"] == org)
                and (not needle or needle in d["name"].lower())
                and (not domain or d.get("domain") == domain)
            )

        with self.store.lock:
            return self._page(request, self.store.directories, match=match if org or needle or domain else None)

    def on_directory(self, request, directory_id):
        self.require_api_key(request)
        store = self.store
        with store.lock:
            directory = store.directories.get(directory_id)
            if directory is None:
                fail(404, message=f"Directory not found: '{directory_id}'.", code="entity_not_found")
            if request.method == "GET":
                return as_json(public(directory))
            store.delete_directory(directory_id)
        self.emit("dsync.deleted", self._directory_event_data(directory), wait=True)
        return Response(status=202)

    def on_directory_groups(self, request):
        self.require_api_key(request)
        directory, user_id = request.args.get("directory"), request.args.get("user")
        if not directory and not user_id:
            fail(422, code="invalid_request_parameters", message="Either directory or user is required.")
        store = self.store
        with store.lock:
            member_of = set(store.directory_users[user_id]["_groups"]) if user_id in store.directory_users else set()

            def match(g):
                return (not directory or g["directory_id"] == directory) and (not user_id or g["id"] in member_of)

            return self._page(request, store.directory_groups, match=match)

    def on_directory_group(self, request, group_id):
        self.require_api_key(request)
        with self.store.lock:
            group = self.store.directory_groups.get(group_id)
            if group is None:
                fail(404, message=f"Directory group not found: '{group_id}'.", code="entity_not_found")
            return as_json(public(group))

    def on_directory_users(self, request):
        self.require_api_key(request)
        args = request.args
        directory, group, idp_id, email = (
            args.get("directory"),
            args.get("group"),
            args.get("idp_id"),
            (args.get("email") or "").lower(),
        )
        if not directory and not group:
            fail(422, code="invalid_request_parameters", message="Either directory or group is required.")
        if (idp_id or email) and not directory:
            fail(422, code="invalid_request_parameters", message="idp_id and email filters need directory.")
        store = self.store

        def match(u):
            return (
                (not directory or u["directory_id"] == directory)
                and (not group or group in u["_groups"])
                and (not idp_id or u["idp_id"] == idp_id)
                and (not email or u["email"] == email)
            )

        with store.lock:
            return self._page(request, store.directory_users, match=match, view=store.directory_user_view)

    def on_directory_user(self, request, user_id):
        self.require_api_key(request)
        with self.store.lock:
            user = self.store.directory_users.get(user_id)
            if user is None:
                fail(404, message=f"Directory user not found: '{user_id}'.", code="entity_not_found")
            return as_json(self.store.directory_user_view(user))

    # -- the identity provider's side (control) -------------------------------------------------
    def on_ctl_directories(self, request):
        data = self.body(request)
        if not isinstance(data.get("name"), str) or not isinstance(data.get("organization"), str):
            fail(422, code="invalid_request_parameters", message="name and organization (id or name) are required.")
        store = self.store
        with store.lock:
            try:
                directory = store.add_directory(**data)
            except (TypeError, ValueError) as exc:
                fail(422, code="invalid_request_parameters", message=str(exc))
            org = store.organizations[directory["organization_id"]]
            users = [
                store.directory_users[k]
                for k in store.directory_users.ids
                if store.directory_users[k]["directory_id"] == directory["id"]
            ]
        self.emit(
            "dsync.activated",
            {
                **self._directory_event_data(directory),
                "external_key": directory["external_key"],
                "domains": [dict(d) for d in org["domains"]],
            },
            wait=True,
        )
        for user in users:
            self._emit_directory_user("dsync.user.created", user)
        return as_json(public(directory), 201)

    def on_ctl_directory_users(self, request, directory_id):
        data = check_types(self.body(request), USER_FIELDS)
        if not data.get("email"):
            fail(422, code="invalid_request_parameters", message="email is required.", field="email")
        if data.get("state", "active") not in STATES:
            fail(
                422,
                code="invalid_request_parameters",
                message=f"state must be one of {', '.join(STATES)}.",
                field="state",
            )
        store = self.store
        with store.lock:
            if directory_id not in store.directories:
                fail(404, message=f"Directory not found: '{directory_id}'.", code="entity_not_found")
            user = store.add_directory_user(directory_id, **data)
        self._emit_directory_user("dsync.user.created", user)
        for group_id in user["_groups"]:
            self._emit_group_membership("dsync.group.user_added", user, group_id)
        return as_json(store.directory_user_view(user), 201)

    def on_ctl_directory_user(self, request, user_id):
        store = self.store
        if request.method == "DELETE":
            self._remove_directory_user(user_id)
            return Response(status=204)
        data = check_types(self.body(request), USER_FIELDS)
        if data.get("state") is not None and data["state"] not in STATES:
            fail(
                422,
                code="invalid_request_parameters",
                message=f"state must be one of {', '.join(STATES)}.",
                field="state",
            )
        return as_json(store.directory_user_view(self._change_directory_user(user_id, data)))

    def on_ctl_directory_user_action(self, request, user_id, action):
        """The demo page's buttons: suspend, reactivate, remove."""
        if action == "remove":
            self._remove_directory_user(user_id)
        elif action in ("suspend", "reactivate"):
            self._change_directory_user(user_id, {"state": "inactive" if action == "suspend" else "active"})
        else:
            fail(404, message=f"Unknown action {action!r}.")
        return redirect_to("/_emulator/directory")

    def _directory_user_or_404(self, user_id):
        user = self.store.directory_users.get(user_id)
        if user is None:
            fail(404, message=f"Directory user not found: '{user_id}'.", code="entity_not_found")
        return user

    def _change_directory_user(self, user_id, data):
        store = self.store
        with store.lock:
            user = self._directory_user_or_404(user_id)
            before = set(user["_groups"])
            for field in ("first_name", "last_name", "state", "job_title"):
                if data.get(field) is not None:
                    user[field] = data[field]
            if data.get("role") is not None:
                user["role"] = {"slug": data["role"]}
            if data.get("groups") is not None:
                groups = [
                    store.directory_group_by_ref(user["directory_id"], ref)
                    or store.add_directory_group(user["directory_id"], ref)
                    for ref in data["groups"]
                ]
                user["_groups"] = [g["id"] for g in groups]
            user["updated_at"] = store.iso()
            after = set(user["_groups"])
        self._emit_directory_user("dsync.user.updated", user)
        for group_id in sorted(after - before):
            self._emit_group_membership("dsync.group.user_added", user, group_id)
        for group_id in sorted(before - after):
            self._emit_group_membership("dsync.group.user_removed", user, group_id)
        return user

    def _remove_directory_user(self, user_id):
        store = self.store
        with store.lock:
            user = store.directory_users.pop(self._directory_user_or_404(user_id)["id"])
            user = {**user, "state": "inactive", "updated_at": store.iso()}
        self._emit_directory_user("dsync.user.deleted", user)

    # The API says a directory is linked or unlinked; its events say active or inactive.
    _EVENT_STATES = {"linked": "active", "unlinked": "inactive"}

    def _directory_event_data(self, directory):
        data = {k: v for k, v in public(directory).items() if k not in ("external_key", "domain")}
        return {**data, "state": self._EVENT_STATES.get(directory["state"], directory["state"])}

    # the identity provider's changes are delivered before the control call answers, so a test or
    # a demo sees the app's reaction as soon as it gets the answer
    def _emit_directory_user(self, event, user):
        self.emit(event, public(user), wait=True)

    def _emit_group_membership(self, event, user, group_id):
        group = self.store.directory_groups.get(group_id)
        if group is not None:
            self.emit(
                event, {"directory_id": user["directory_id"], "user": public(user), "group": public(group)}, wait=True
            )

    def on_ctl_directory_page(self, request):
        store = self.store
        with store.lock:
            sections = []
            for directory in store.directories.values():
                rows = "".join(
                    f"<tr><td>{escape(u['email'])}</td><td>{escape(' '.join(filter(None, [u['first_name'], u['last_name']])))}</td>"
                    f"<td>{escape(u['state'])}</td><td>{escape(', '.join(store.directory_groups[g]['name'] for g in u['_groups'] if g in store.directory_groups))}</td><td>"
                    + "".join(
                        f"<form method='post' action='/_emulator/directory_users/{escape(u['id'])}/{action}' style='display:inline'><button style='width:auto;margin:0'>{label}</button></form> "
                        for action, label in (
                            ("suspend", "Deactivate"),
                            ("reactivate", "Reactivate"),
                            ("remove", "Remove"),
                        )
                        if (action != "suspend" or u["state"] == "active")
                        and (action != "reactivate" or u["state"] != "active")
                    )
                    + "</td></tr>"
                    for u in store.directory_users.values()
                    if u["directory_id"] == directory["id"]
                )
                sections.append(
                    f"<h2>{escape(directory['name'])}</h2><p>{escape(directory['type'])}, organization {escape(directory['organization_id'])}</p>"
                    f"<table style='width:100%;font-size:.9rem'><tr><th>Email</th><th>Name</th><th>State</th><th>Groups</th><th></th></tr>{rows}</table>"
                )
        body = (
            "".join(sections)
            or "<p>No directory yet. Seed one (the demo has Acme's) or POST /_emulator/directories.</p>"
        )
        return Response(
            pages.wide(
                "Directory",
                f"<h1>Directory (the customer's identity provider)</h1><p>Changes here are sent to the app as dsync events, as WorkOS would.</p>{body}",
            ),
            content_type="text/html",
        )
