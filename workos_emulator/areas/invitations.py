"""Invitations: send, list, read (by id or token), accept, resend, revoke.

An invitation to an organization for someone who already has a WorkOS user makes a `pending`
membership, which accepting activates; accepting an invitation for a new email creates the user
(email verified) and its membership with the invitation's role.
"""

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from workos_emulator import pages
from workos_emulator.http import EMAIL, as_json, check_types, fail
from workos_emulator.store import new_id, public

INVITATION_FIELDS = {
    "email": str,
    "organization_id": (str, None),
    "role_slug": (str, None),
    "expires_in_days": (int, None),
    "inviter_user_id": (str, None),
    "locale": (str, None),
}
DAY = 24 * 3600


class Invitations:
    ROUTES = [
        Rule("/user_management/invitations", endpoint="invitations", methods=["GET", "POST"]),
        Rule("/user_management/invitations/by_token/<token>", endpoint="invitation_by_token", methods=["GET"]),
        Rule("/user_management/invitations/<invitation_id>", endpoint="invitation", methods=["GET"]),
        Rule("/user_management/invitations/<invitation_id>/accept", endpoint="invitation_accept", methods=["POST"]),
        Rule("/user_management/invitations/<invitation_id>/resend", endpoint="invitation_resend", methods=["POST"]),
        Rule("/user_management/invitations/<invitation_id>/revoke", endpoint="invitation_revoke", methods=["POST"]),
        Rule("/invite", endpoint="invite_page", methods=["GET", "POST"]),
    ]

    def on_invite_page(self, request):
        """The hosted page an invitation email links to (`accept_invitation_url`)."""
        values = request.form if request.method == "POST" else request.args
        token = values.get("invitation_token", "")
        with self.store.lock:
            invitation = next((i for i in self.store.invitations.values() if i["token"] == token), None)
            if invitation is None:
                return Response(
                    pages.message("Invitation", "This invitation link is not valid."),
                    status=404,
                    content_type="text/html",
                )
            if request.method == "POST" and self._invitation_view(invitation)["state"] == "pending":
                self.accept_invitation(invitation)
                return Response(
                    pages.message("Invitation accepted", "You can now sign in to the application."),
                    content_type="text/html",
                )
            org = self.store.organizations.get(invitation["organization_id"] or "")
            html = pages.invitation(self._invitation_view(invitation), org["name"] if org else None)
        return Response(html, content_type="text/html")

    def _invitation_for(self, token):
        """The invitation a token names, or None (the caller holds the store lock)."""
        return next((i for i in self.store.invitations.values() if i["token"] == token), None) if token else None

    def _invitation_view(self, invitation):
        """The invitation as WorkOS shows it: a pending one past its expiry reads `expired`."""
        if invitation["state"] == "pending" and invitation["_expires"] < self.store.now():
            invitation["state"] = "expired"
        return public(invitation)

    def _invitation_or_404(self, invitation_id):
        invitation = self.store.invitations.get(invitation_id)
        if invitation is None:
            fail(404, message=f"Invitation not found: '{invitation_id}'.")
        return invitation

    def _pending_membership(self, invitation):
        user = self.store.user_by_email(invitation["email"])
        if user is None or not invitation["organization_id"]:
            return None
        return next(
            (
                m
                for m in self.store.memberships.values()
                if m["user_id"] == user["id"] and m["organization_id"] == invitation["organization_id"]
            ),
            None,
        )

    def on_invitations(self, request):
        self.require_api_key(request)
        store = self.store
        if request.method == "GET":
            email, org_id = (request.args.get("email") or "").lower(), request.args.get("organization_id")
            with store.lock:
                found = [
                    self._invitation_view(i)
                    for i in store.invitations.values()
                    if (not email or i["email"] == email) and (not org_id or i["organization_id"] == org_id)
                ]
                return self._page(request, found)
        data = check_types(self.body(request), INVITATION_FIELDS)
        email = (data.get("email") or "").strip().lower()
        if not EMAIL.match(email):
            fail(422, code="invalid_request_parameters", message="email must be an email address.")
        days = data.get("expires_in_days") or 7
        if days < 1:
            fail(400, code="expires_in_days_too_short", message="expires_in_days must be at least 1.")
        if days > 30:
            fail(400, code="expires_in_days_too_long", message="expires_in_days must be at most 30.")
        org_id = data.get("organization_id")
        with store.lock:
            if org_id and org_id not in store.organizations:
                fail(404, message=f"Organization not found: '{org_id}'.")
            if data.get("inviter_user_id") and data["inviter_user_id"] not in store.users:
                fail(404, message=f"User not found: '{data['inviter_user_id']}'.")
            if any(
                i["email"] == email
                and i["organization_id"] == org_id
                and self._invitation_view(i)["state"] == "pending"
                for i in store.invitations.values()
            ):
                code = "email_already_invited_to_organization" if org_id else "email_already_invited"
                fail(400, code=code, message="This email already has a pending invitation.")
            user = store.user_by_email(email)
            if user and not org_id:
                fail(400, code="user_already_exists", message="A user with this email already exists.")
            now = store.now()
            invitation = {
                "object": "invitation",
                "id": new_id("invitation"),
                "email": email,
                "state": "pending",
                "accepted_at": None,
                "revoked_at": None,
                "expires_at": store.iso(now + days * DAY),
                "organization_id": org_id,
                "inviter_user_id": data.get("inviter_user_id"),
                "accepted_user_id": None,
                "role_slug": data.get("role_slug"),
                "created_at": store.iso(now),
                "updated_at": store.iso(now),
                "_expires": now + days * DAY,
            }
            token = store.token("", 24)
            base = store.invitation_url or f"{self.public_url}/invite"  # the application's page, when set
            invitation.update(
                token=token, accept_invitation_url=f"{base}{'&' if '?' in base else '?'}invitation_token={token}"
            )
            membership = self._pending_membership(invitation)
            if membership is not None and membership["status"] == "active":
                fail(
                    400,
                    code="user_already_organization_member",
                    message="The user is already a member of this organization.",
                )
            if user and org_id and membership is None:
                membership = store.add_membership(user["id"], org_id, data.get("role_slug") or "member")
                membership["status"] = "pending"
            store.invitations[invitation["id"]] = invitation
            view = self._invitation_view(invitation)
            self._send_invitation(invitation)
        self.emit("invitation.created", view)
        return as_json(view, 201)

    def _send_invitation(self, invitation):
        org = self.store.organizations.get(invitation["organization_id"] or "")
        where = f" to {org['name']}" if org else ""
        self.send_mail(invitation["email"], f"You are invited{where}", link=invitation["accept_invitation_url"])

    def on_invitation(self, request, invitation_id):
        self.require_api_key(request)
        with self.store.lock:
            return as_json(self._invitation_view(self._invitation_or_404(invitation_id)))

    def on_invitation_by_token(self, request, token):
        self.require_api_key(request)
        with self.store.lock:
            invitation = next((i for i in self.store.invitations.values() if i["token"] == token), None)
            if invitation is None:
                fail(404, message="Invitation not found.")
            return as_json(self._invitation_view(invitation))

    def on_invitation_accept(self, request, invitation_id):
        self.require_api_key(request)
        with self.store.lock:
            view = self.accept_invitation(self._invitation_or_404(invitation_id))
        return as_json(view)

    def accept_invitation(self, invitation, user=None):
        """Accept as `user` (default: the user with the invitation's email, made if there is none):
        the organization membership becomes active. The caller holds the store lock."""
        store = self.store
        state = self._invitation_view(invitation)["state"]
        if state != "pending":
            fail(400, code="invite_not_pending", message=f"The invitation is {state}.")
        user = user or store.user_by_email(invitation["email"])
        if user is None:
            user = store.add_user(invitation["email"], email_verified=True)
            self.emit("user.created", public(user))
        if invitation["organization_id"] in store.organizations:
            membership = self._pending_membership(invitation)
            if membership is None:
                store.add_membership(user["id"], invitation["organization_id"], invitation["role_slug"] or "member")
            else:
                membership.update(status="active", updated_at=store.iso())
        now = store.iso()
        invitation.update(state="accepted", accepted_at=now, accepted_user_id=user["id"], updated_at=now)
        view = self._invitation_view(invitation)
        self.emit("invitation.accepted", view)
        return view

    def on_invitation_resend(self, request, invitation_id):
        self.require_api_key(request)
        check_types(self.body(request), {"locale": (str, None)})
        with self.store.lock:
            invitation = self._invitation_or_404(invitation_id)
            state = self._invitation_view(invitation)["state"]
            if state != "pending":
                code = {"expired": "invite_expired", "revoked": "invite_revoked", "accepted": "invite_accepted"}[state]
                fail(400, code=code, message=f"The invitation is {state}.")
            view = self._invitation_view(invitation)
            self._send_invitation(invitation)
        self.emit("invitation.resent", view)
        return as_json(view)

    def on_invitation_revoke(self, request, invitation_id):
        self.require_api_key(request)
        store = self.store
        with store.lock:
            invitation = self._invitation_or_404(invitation_id)
            state = self._invitation_view(invitation)["state"]
            if state != "pending":
                fail(400, code="invite_not_pending", message=f"The invitation is {state}.")
            membership = self._pending_membership(invitation)
            if membership is not None and membership["status"] == "pending":
                del store.memberships[membership["id"]]
            now = store.iso()
            invitation.update(state="revoked", revoked_at=now, updated_at=now)
            view = self._invitation_view(invitation)
        self.emit("invitation.revoked", view)
        return as_json(view)
