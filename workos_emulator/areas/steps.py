"""AuthKit beyond the redirect: email verification, MFA with TOTP factors, magic auth, password
reset, device authorization (RFC 8628), and the outbox where every email WorkOS would send lands.

A sign-in passes its steps in order: email verification (an unverified user), MFA (a user who
must use it: `mfa: true` in the seed; enrollment first when they have no factor), then the
organization choice (several memberships). A pending authentication token remembers which steps
are done; each completion grant moves it on.
"""

import secrets

import segno
from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from workos_emulator import pages, totp
from workos_emulator.http import CODE_TTL, EMAIL, as_json, check_types, fail, oauth_fail
from workos_emulator.store import new_id, public

MAX_ATTEMPTS = 5
DEVICE_TTL = 600
RESET_TTL = 3600
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # no vowels, no look-alikes (RFC 8628 6.1)


def _one_time_code():
    return f"{secrets.randbelow(10**6):06d}"


class AuthSteps:
    ROUTES = [
        Rule("/user_management/magic_auth", endpoint="magic_auth", methods=["POST"]),
        Rule("/user_management/magic_auth/<magic_id>", endpoint="magic_auth_get", methods=["GET"]),
        Rule(
            "/user_management/email_verification/<verification_id>", endpoint="email_verification_get", methods=["GET"]
        ),
        Rule("/user_management/password_reset", endpoint="password_reset", methods=["POST"]),
        Rule("/user_management/password_reset/confirm", endpoint="password_reset_confirm", methods=["POST"]),
        Rule("/user_management/password_reset/<reset_id>", endpoint="password_reset_get", methods=["GET"]),
        Rule("/user_management/users/<user_id>/auth_factors", endpoint="auth_factors", methods=["GET", "POST"]),
        Rule("/auth/factors/<factor_id>", endpoint="auth_factor", methods=["GET", "DELETE"]),
        Rule("/auth/factors/<factor_id>/challenge", endpoint="auth_factor_challenge", methods=["POST"]),
        Rule("/auth/factors/enroll", endpoint="factor_enroll", methods=["POST"]),
        Rule("/auth/challenges/<challenge_id>/verify", endpoint="challenge_verify", methods=["POST"]),
        Rule(
            "/user_management/users/<user_id>/email_verification/send", endpoint="send_verification", methods=["POST"]
        ),
        Rule(
            "/user_management/users/<user_id>/email_verification/confirm",
            endpoint="confirm_verification",
            methods=["POST"],
        ),
        Rule("/user_management/authorize/device", endpoint="device_authorize", methods=["POST"]),
        Rule("/device", endpoint="device_page", methods=["GET", "POST"]),
        Rule("/_emulator/outbox", endpoint="ctl_outbox", methods=["GET", "DELETE"]),
        Rule("/_emulator/mail", endpoint="ctl_mail_page", methods=["GET"]),
    ]

    # -- the outbox -----------------------------------------------------------------------------
    def send_mail(self, to, subject, code=None, link=None):
        """Where WorkOS would send an email: the outbox (JSON at /_emulator/outbox, a page at
        /_emulator/mail). The caller holds the store lock."""
        store = self.store
        store.outbox.append(
            {"id": new_id("email"), "to": to, "subject": subject, "code": code, "link": link, "sent_at": store.iso()}
        )
        del store.outbox[:-500]

    def on_ctl_outbox(self, request):
        with self.store.lock:
            if request.method == "DELETE":
                self.store.outbox.clear()
                return as_json({"status": "cleared"})
            to = (request.args.get("to") or "").lower()
            return as_json([m for m in self.store.outbox if not to or m["to"] == to][::-1])

    def on_ctl_mail_page(self, request):
        with self.store.lock:
            mails = list(self.store.outbox)[::-1]
        return Response(pages.outbox(mails), content_type="text/html")

    # -- the steps of a sign-in -------------------------------------------------------------------
    def pending(self, user_id, method, organization_id, passed, **extra):
        token = self.store.token("", 24)
        self.store.pending_tokens[token] = {
            "user_id": user_id,
            "method": method,
            "organization_id": organization_id,
            "passed": sorted(passed),
            "expires": self.store.now() + CODE_TTL,
            **extra,
        }
        return token

    def next_step(self, user, method, organization_id, passed):
        """Answer 403 with the next step this sign-in must pass, if any. Holds the store lock."""
        store = self.store
        if "email" not in passed and not user["email_verified"]:
            verification = self._email_verification(user)
            token = self.pending(user["id"], method, organization_id, passed, email_verification_id=verification["id"])
            fail(
                403,
                code="email_verification_required",
                message="Email ownership must be verified before authentication.",
                pending_authentication_token=token,
                email=user["email"],
                email_verification_id=verification["id"],
            )
        if "mfa" not in passed and self.mfa_required(user, organization_id) and method != "SSO":
            self.mfa_step(user, method, organization_id, passed)
        memberships = store.memberships_of(user["id"])
        if "organization" not in passed and organization_id is None and len(memberships) > 1:
            orgs = [
                {"id": m["organization_id"], "name": store.organizations[m["organization_id"]]["name"]}
                for m in memberships
            ]
            token = self.pending(user["id"], method, organization_id, passed)
            fail(
                403,
                code="organization_selection_required",
                message="The user must choose an organization to finish their authentication.",
                pending_authentication_token=token,
                user=public(user),
                organizations=orgs,
            )

    def mfa_required(self, user, organization_id):
        """The person's own setting, or the organization's policy. Holds the store lock."""
        org = self.store.organizations.get(organization_id or "")
        return bool(user["_mfa"] or (org and org.get("_mfa_required")))

    def mfa_step(self, user, method, organization_id, passed):
        """403 `mfa_enrollment` (no authenticator yet) or `mfa_challenge`. Holds the store lock."""
        store = self.store
        factors = [public(f) for f in store.auth_factors.values() if f["user_id"] == user["id"]]
        token = self.pending(user["id"], method, organization_id, passed)
        if not factors:
            fail(
                403,
                code="mfa_enrollment",
                message="The user must enroll in MFA to finish authenticating.",
                pending_authentication_token=token,
                user=public(user),
            )
        fail(
            403,
            code="mfa_challenge",
            message="The user must complete an MFA challenge to finish authenticating.",
            pending_authentication_token=token,
            user=public(user),
            authentication_factors=[self._factor_view(f) for f in factors],
        )

    def _take_pending(self, data):
        """The pending authentication the token names; used up by this attempt."""
        store = self.store
        pending = store.pending_tokens.get(data.get("pending_authentication_token") or "")
        if not pending or pending["expires"] < store.now():
            fail(
                400,
                code="invalid_pending_authentication_token",
                message="The pending authentication token is invalid or expired.",
            )
        return pending

    def _wrong_code(self, record, table, key):
        """Count a wrong code; the record is gone after MAX_ATTEMPTS."""
        record["attempts"] = record.get("attempts", 0) + 1
        if record["attempts"] >= MAX_ATTEMPTS:
            table.pop(key, None)
            fail(400, code="one_time_code_too_many_attempts", message="Too many wrong codes. Start the sign-in again.")
        fail(400, code="invalid_one_time_code", message="The code is not valid.")

    def _continue(self, request, data, step):
        """Finish `step` of the pending sign-in and move on to the next step or the session."""
        store = self.store
        token = data["pending_authentication_token"]
        pending = store.pending_tokens.pop(token)
        organization_id = data.get("organization_id") if step == "organization" else pending["organization_id"]
        return self._sign_in(
            request, pending["user_id"], organization_id, pending["method"], passed={*pending["passed"], step}
        )

    # -- email verification -------------------------------------------------------------------
    def _email_verification(self, user):
        store = self.store
        now = store.now()
        record = {
            "object": "email_verification",
            "id": new_id("email_verification"),
            "user_id": user["id"],
            "email": user["email"],
            "expires_at": store.iso(now + CODE_TTL),
            "created_at": store.iso(now),
            "updated_at": store.iso(now),
            "code": _one_time_code(),
            "_expires": now + CODE_TTL,
        }
        store.email_verifications[record["id"]] = record
        self.send_mail(user["email"], "Verify your email address", code=record["code"])
        self.emit("email_verification.created", {k: v for k, v in public(record).items() if k != "code"})
        return record

    def _get_record(self, request, table, record_id, label):
        """GET of a one-time record (email verification, magic auth, password reset)."""
        self.require_api_key(request)
        with self.store.lock:
            record = getattr(self.store, table).get(record_id)
            if record is None:
                fail(404, message=f"{label} not found: '{record_id}'.")
            return as_json(public(record))

    def on_email_verification_get(self, request, verification_id):
        return self._get_record(request, "email_verifications", verification_id, "Email verification")

    def on_send_verification(self, request, user_id):
        """Email a user a code that verifies their address (outside a sign-in)."""
        self.require_api_key(request)
        store = self.store
        with store.lock:
            user = self._user_or_404(user_id)
            if user["email_verified"]:
                fail(400, code="email_already_verified", message="The email address is already verified.")
            self._email_verification(user)
            return as_json({"user": public(user)})

    def on_confirm_verification(self, request, user_id):
        self.require_api_key(request)
        data = check_types(self.body(request), {"code": str})
        if not data.get("code"):
            fail(422, code="invalid_request_parameters", message="code is required.")
        store = self.store
        with store.lock:
            user = self._user_or_404(user_id)
            if user["email_verified"]:
                fail(400, code="email_previously_verified", message="The email address is already verified.")
            records = [r for r in store.email_verifications.values() if r["user_id"] == user_id]
            record = max(records, key=lambda r: r["_expires"]) if records else None
            if record is None or record["_expires"] < store.now():
                fail(400, code="email_verification_code_expired", message="The code has expired. Send a new one.")
            if not secrets.compare_digest(record["code"], data["code"]):
                fail(400, code="email_verification_code_incorrect", message="The code is not valid.")
            for old in records:
                del store.email_verifications[old["id"]]
            user.update(email_verified=True, updated_at=store.iso())
            return as_json({"user": public(user)})

    def grant_email_verification(self, request, data):
        store = self.store
        with store.lock:
            pending = self._take_pending(data)
            record = store.email_verifications.get(pending.get("email_verification_id") or "")
            if record is None or record["_expires"] < store.now():
                fail(400, code="one_time_code_expired", message="The code has expired. Start the sign-in again.")
            if not secrets.compare_digest(record["code"], str(data.get("code") or "")):
                self._wrong_code(pending, store.pending_tokens, data["pending_authentication_token"])
            del store.email_verifications[record["id"]]
            user = store.users[pending["user_id"]]
            user.update(email_verified=True, updated_at=store.iso())
            return self._continue(request, data, "email")

    # -- magic auth -----------------------------------------------------------------------------
    def on_magic_auth(self, request):
        self.require_api_key(request)
        data = check_types(
            self.body(request),
            {"email": str, "invitation_token": (str, None), "ip_address": (str, None), "user_agent": (str, None)},
        )
        email = (data.get("email") or "").strip().lower()
        if not EMAIL.match(email):
            fail(422, message="email must be an email address.")
        store = self.store
        with store.lock:
            user = store.user_by_email(email) or store.add_user(email, email_verified=False)
            now = store.now()
            record = {
                "object": "magic_auth",
                "id": new_id("magic_auth"),
                "user_id": user["id"],
                "email": email,
                "expires_at": store.iso(now + CODE_TTL),
                "created_at": store.iso(now),
                "updated_at": store.iso(now),
                "code": _one_time_code(),
                "_expires": now + CODE_TTL,
            }
            store.magic_auths[record["id"]] = record
            self.send_mail(email, "Your sign-in code", code=record["code"])
            view = public(record)
        self.emit("magic_auth.created", {k: v for k, v in view.items() if k != "code"})
        return as_json(view, 201)

    def on_magic_auth_get(self, request, magic_id):
        return self._get_record(request, "magic_auths", magic_id, "Magic auth")

    def grant_magic_auth(self, request, data):
        store = self.store
        email = (data.get("email") or "").lower()
        with store.lock:
            live = [r for r in store.magic_auths.values() if r["email"] == email and r["_expires"] >= store.now()]
            if not live:
                fail(
                    400,
                    code="one_time_code_expired",
                    message="The code has expired or was never sent. Ask for a new one.",
                )
            record = live[-1]
            if not secrets.compare_digest(record["code"], str(data.get("code") or "")):
                self._wrong_code(record, store.magic_auths, record["id"])
            for used in live:
                del store.magic_auths[used["id"]]
            user = store.users.get(record["user_id"])
            if user is None:
                oauth_fail("invalid_grant", "The user no longer exists.")
            user.update(email_verified=True, updated_at=store.iso())  # the code proved the address
            return self._sign_in(request, user["id"], data.get("organization_id"), "MagicAuth", passed={"email"})

    # -- MFA: TOTP factors and challenges -------------------------------------------------------
    @staticmethod
    def _factor_view(factor, secrets_too=False):
        view = public(factor)
        view["totp"] = {k: v for k, v in factor["totp"].items() if secrets_too or k in ("issuer", "user")}
        return view

    def _challenge(self, factor):
        store = self.store
        now = store.now()
        challenge = {
            "object": "authentication_challenge",
            "id": new_id("auth_challenge"),
            "authentication_factor_id": factor["id"],
            "expires_at": store.iso(now + CODE_TTL),
            "created_at": store.iso(now),
            "updated_at": store.iso(now),
            "_expires": now + CODE_TTL,
        }
        store.challenges[challenge["id"]] = challenge
        return challenge

    def on_auth_factors(self, request, user_id):
        self.require_api_key(request)
        store = self.store
        with store.lock:
            user = store.users.get(user_id)
            if user is None:
                fail(404, message=f"User not found: '{user_id}'.")
            if request.method == "GET":
                return self._page(
                    request, [self._factor_view(f) for f in store.auth_factors.values() if f["user_id"] == user_id]
                )
        factor, challenge = self._enroll(request, user)
        return as_json(
            {
                "authentication_factor": self._factor_view(factor, secrets_too=True),
                "authentication_challenge": public(challenge),
            },
            201,
        )

    def _enroll(self, request, user):
        """A new TOTP factor (for `user`, or for no user: the standalone MFA API) and its first challenge."""
        store = self.store
        data = check_types(
            self.body(request),
            {
                "type": str,
                "totp_issuer": (str, None),
                "totp_user": (str, None),
                "totp_secret": (str, None),
                "user_id": (str, None),
                "phone_number": (str, None),
            },
        )
        if data.get("type") != "totp":
            fail(422, message="type must be totp.")
        secret = data.get("totp_secret") or totp.new_secret()
        try:
            totp.code_at(secret, 0)
        except ValueError:
            fail(422, message="totp_secret must be Base32.")
        with store.lock:
            issuer = data.get("totp_issuer") or "WorkOS"
            account = data.get("totp_user") or (user["email"] if user else "")
            if not account:
                fail(422, message="totp_user is required when type is totp.")
            uri = f"otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}"
            now = store.iso()
            factor = {
                "object": "authentication_factor",
                "id": new_id("auth_factor"),
                "type": "totp",
                "user_id": user["id"] if user else None,
                "totp": {
                    "issuer": issuer,
                    "user": account,
                    "secret": secret,
                    "uri": uri,
                    "qr_code": segno.make(uri).svg_data_uri(scale=4),
                },
                "created_at": now,
                "updated_at": now,
            }
            store.auth_factors[factor["id"]] = factor
            return factor, self._challenge(factor)

    def on_factor_enroll(self, request):
        """The standalone MFA API's enrollment (`POST /auth/factors/enroll`): the factor alone."""
        self.require_api_key(request)
        user_id = check_types(self.body(request), {"user_id": (str, None)}).get("user_id")
        user = None
        if user_id:
            with self.store.lock:
                user = self.store.users.get(user_id)
            if user is None:
                fail(422, message=f"User not found: '{user_id}'.")
        factor, _challenge = self._enroll(request, user)
        view = self._factor_view(factor, secrets_too=True)
        if view["user_id"] is None:
            del view["user_id"]
        return as_json(view, 201)

    def on_challenge_verify(self, request, challenge_id):
        """The standalone MFA API's check of a code (`POST /auth/challenges/{id}/verify`)."""
        self.require_api_key(request)
        data = check_types(self.body(request), {"code": str})
        if "code" not in data:
            fail(422, message="code is required.")
        store = self.store
        with store.lock:
            challenge = store.challenges.get(challenge_id)
            if challenge is None:
                fail(404, message=f"Authentication challenge not found: '{challenge_id}'.")
            factor = store.auth_factors.get(challenge["authentication_factor_id"])
            if challenge["_expires"] < store.now() or factor is None:
                fail(400, code="authentication_challenge_expired", message="The challenge has expired.")
            challenge["_attempts"] = challenge.get("_attempts", 0) + 1
            if challenge["_attempts"] > MAX_ATTEMPTS:
                del store.challenges[challenge_id]
                fail(400, code="one_time_code_too_many_attempts", message="Too many wrong codes.")
            valid = totp.verify(factor["totp"]["secret"], data["code"], store.now())
            if valid:
                del store.challenges[challenge_id]
            return as_json({"challenge": public(challenge), "valid": valid}, 201)

    def _factor_or_404(self, factor_id):
        factor = self.store.auth_factors.get(factor_id)
        if factor is None:
            fail(404, message=f"Authentication factor not found: '{factor_id}'.")
        return factor

    def on_auth_factor(self, request, factor_id):
        self.require_api_key(request)
        with self.store.lock:
            factor = self._factor_or_404(factor_id)
            if request.method == "GET":
                return as_json(self._factor_view(factor))
            del self.store.auth_factors[factor_id]
        return Response(status=204)

    def on_auth_factor_challenge(self, request, factor_id):
        self.require_api_key(request)
        check_types(self.body(request), {"sms_template": (str, None)})
        with self.store.lock:
            return as_json(public(self._challenge(self._factor_or_404(factor_id))), 201)

    def grant_totp(self, request, data):
        store = self.store
        with store.lock:
            pending = self._take_pending(data)
            challenge = store.challenges.get(data.get("authentication_challenge_id") or "")
            factor = store.auth_factors.get(challenge["authentication_factor_id"]) if challenge else None
            if factor is None or factor["user_id"] != pending["user_id"]:
                fail(
                    400,
                    code="invalid_one_time_code",
                    message="The authentication challenge is not valid for this sign-in.",
                )
            if challenge["_expires"] < store.now():
                fail(400, code="one_time_code_expired", message="The challenge has expired. Start the sign-in again.")
            if not totp.verify(factor["totp"]["secret"], str(data.get("code") or ""), store.now()):
                self._wrong_code(pending, store.pending_tokens, data["pending_authentication_token"])
            del store.challenges[challenge["id"]]
            return self._continue(request, data, "mfa")

    def grant_organization_selection(self, request, data):
        store = self.store
        with store.lock:
            pending = self._take_pending(data)
            if not any(
                m["organization_id"] == data.get("organization_id") for m in store.memberships_of(pending["user_id"])
            ):
                fail(400, code="invalid_organization_id", message="The user is not a member of that organization.")
            return self._continue(request, data, "organization")

    # -- password reset -----------------------------------------------------------------------
    def on_password_reset(self, request):
        self.require_api_key(request)
        email = (check_types(self.body(request), {"email": str}).get("email") or "").strip().lower()
        if not EMAIL.match(email):
            fail(422, code="invalid_request_parameters", message="email must be an email address.", field="email")
        store = self.store
        with store.lock:
            user = store.user_by_email(email)
            if user is None:
                fail(404, message="User not found.")
            now, token = store.now(), store.token("", 24)
            base = store.password_reset_url or f"{self.public_url}/reset-password"
            record = {
                "object": "password_reset",
                "id": new_id("password_reset"),
                "user_id": user["id"],
                "email": email,
                "expires_at": store.iso(now + RESET_TTL),
                "created_at": store.iso(now),
                "password_reset_token": token,
                "password_reset_url": f"{base}{'&' if '?' in base else '?'}token={token}",
                "_expires": now + RESET_TTL,
            }
            store.password_resets[record["id"]] = record
            self.send_mail(email, "Reset your password", link=record["password_reset_url"])
            view = public(record)
        self.emit(
            "password_reset.created",
            {k: v for k, v in view.items() if k not in ("password_reset_token", "password_reset_url")},
        )
        return as_json(view, 201)

    def on_password_reset_get(self, request, reset_id):
        return self._get_record(request, "password_resets", reset_id, "Password reset")

    def on_password_reset_confirm(self, request):
        self.require_api_key(request)
        data = check_types(self.body(request), {"token": str, "new_password": str})
        store = self.store
        with store.lock:
            record = next(
                (r for r in store.password_resets.values() if r["password_reset_token"] == data.get("token")), None
            )
            if record is None or record["_expires"] < store.now():
                fail(
                    400,
                    code="password_reset_error",
                    message="The password reset link is invalid or has expired.",
                    errors=[{"code": "password_reset_token_invalid", "message": "Ask for a new link."}],
                )
            password = data.get("new_password") or ""
            if len(password) < 8:
                fail(
                    400,
                    code="password_reset_error",
                    message="The new password is too weak.",
                    errors=[{"code": "password_too_short", "message": "Use at least 8 characters."}],
                )
            user = store.users.get(record["user_id"])
            if user is None:
                fail(404, message="User not found.")
            del store.password_resets[record["id"]]
            user.update(_password=password, updated_at=store.iso())
            view = public(user)
        self.emit(
            "password_reset.succeeded",
            {k: v for k, v in public(record).items() if k not in ("password_reset_token", "password_reset_url")},
        )
        return as_json({"user": view})

    # -- device authorization (RFC 8628) -------------------------------------------------------
    def on_device_authorize(self, request):
        data = check_types(self.body(request), {"client_id": str})
        store = self.store
        if data.get("client_id") != store.client_id:
            oauth_fail("invalid_client", "Invalid client ID.")
        with store.lock:
            user_code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
            device_code = store.token("", 32)
            store.device_codes[device_code] = {
                "user_code": user_code,
                "client_id": data["client_id"],
                "expires": store.now() + DEVICE_TTL,
                "interval": self.store.device_interval,
                "last_poll": 0,
                "status": "pending",
                "user_id": None,
            }
        uri = f"{self.public_url}/device"
        return as_json(
            {
                "device_code": device_code,
                "user_code": f"{user_code[:4]}-{user_code[4:]}",
                "verification_uri": uri,
                "verification_uri_complete": f"{uri}?user_code={user_code[:4]}-{user_code[4:]}",
                "expires_in": DEVICE_TTL,
                "interval": self.store.device_interval,
            }
        )

    def _device_by_user_code(self, user_code):
        wanted = "".join(c for c in (user_code or "").upper() if c.isalnum())
        store = self.store
        return next(
            (
                (k, d)
                for k, d in store.device_codes.items()
                if d["user_code"] == wanted and d["status"] == "pending" and d["expires"] >= store.now()
            ),
            (None, None),
        )

    def on_device_page(self, request):
        """The verification page a person opens on another device: the code, then who they are."""
        store = self.store
        values = request.form if request.method == "POST" else request.args
        user_code = values.get("user_code", "")
        with store.lock:
            _, device = self._device_by_user_code(user_code)
            if request.method == "GET" or device is None:
                error = "That code is not valid or has expired." if user_code and device is None else None
                users = list(store.users.values())[:10] if device else []
                return Response(
                    pages.device(user_code if device else "", users, error),
                    status=400 if error else 200,
                    content_type="text/html",
                )
            if values.get("decision") == "deny":
                device["status"] = "denied"
                return Response(
                    pages.message("Access denied", "The device was not signed in."), content_type="text/html"
                )
            user = store.users.get(values.get("user_id", ""))
            if user is None:
                user = store.user_by_email(values.get("email"))
                if not (
                    user and user["_password"] and secrets.compare_digest(user["_password"], values.get("password", ""))
                ):
                    return Response(
                        pages.device(user_code, list(store.users.values())[:10], "Email or password is incorrect."),
                        status=400,
                        content_type="text/html",
                    )
            device.update(status="approved", user_id=user["id"])
        return Response(pages.message("Device signed in", "You can return to your device."), content_type="text/html")

    def grant_device_code(self, request, data):
        store = self.store
        with store.lock:
            device = store.device_codes.get(data.get("device_code") or "")
            if device is None or device["client_id"] != data.get("client_id"):
                oauth_fail("invalid_grant", "The device code is not valid.")
            now = store.now()
            if device["expires"] < now:
                del store.device_codes[data["device_code"]]
                oauth_fail("expired_token", "The device code has expired. Start again.")
            if device["status"] == "denied":
                del store.device_codes[data["device_code"]]
                oauth_fail("access_denied", "The person refused the sign-in.")
            if device["status"] == "pending":
                too_fast = now - device["last_poll"] < device["interval"]
                device["last_poll"] = now
                if too_fast:
                    device["interval"] += 5
                    oauth_fail("slow_down", f"Poll at most every {device['interval']} seconds.")
                oauth_fail("authorization_pending", "The person has not finished signing in yet.")
            del store.device_codes[data["device_code"]]
            # the verification page signed the person in: no further steps on the device
            return self._sign_in(request, device["user_id"], None, "Password", passed={"email", "mfa", "organization"})
