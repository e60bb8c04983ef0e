"""Standalone Connect: AuthKit as an OAuth authorization server (`/oauth2/*`, `/authkit/oauth2/complete`)."""

import hmac
from urllib.parse import urlencode

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from workos_emulator import pages
from workos_emulator.http import (
    CODE_TTL,
    EMAIL,
    RESERVED_CLAIMS,
    TOKEN_STRING_FIELDS,
    as_json,
    check_types,
    fail,
    oauth_fail,
    redirect_to,
    s256,
    with_query,
)
from workos_emulator.store import new_id, public


class Connect:
    ROUTES = [
        Rule("/oauth2/authorize", endpoint="oauth2_authorize", methods=["GET"]),
        Rule("/authkit/oauth2/complete", endpoint="connect_complete", methods=["POST"]),
        Rule("/oauth2/consent", endpoint="oauth2_consent", methods=["GET", "POST"]),
        Rule("/oauth2/token", endpoint="oauth2_token", methods=["POST"]),
        Rule("/oauth2/jwks", endpoint="oauth2_jwks", methods=["GET"]),
        Rule("/.well-known/oauth-authorization-server", endpoint="oauth2_metadata", methods=["GET"]),
    ]

    def on_oauth2_authorize(self, request):
        args = request.args
        store = self.store
        with store.lock:
            app = store.oauth_apps.get(args.get("client_id", ""))
            login_uri = store.connect_login_uri
        if app is None:
            return Response(
                pages.message("Unknown application", "client_id is not a registered OAuth application."),
                status=400,
                content_type="text/html",
            )
        redirect_uri = args.get("redirect_uri", "")
        if redirect_uri not in app["redirect_uris"]:
            return Response(
                pages.message("Invalid redirect URI", "redirect_uri is not registered for this application."),
                status=400,
                content_type="text/html",
            )
        if args.get("response_type", "code") != "code":
            return redirect_to(with_query(redirect_uri, error="unsupported_response_type", state=args.get("state")))
        challenge = args.get("code_challenge", "")
        if app["client_secret"] is None and not challenge:
            return redirect_to(
                with_query(
                    redirect_uri,
                    error="invalid_request",
                    error_description="Public clients must use PKCE.",
                    state=args.get("state"),
                )
            )
        if challenge and args.get("code_challenge_method", "S256") != "S256":
            return redirect_to(
                with_query(
                    redirect_uri,
                    error="invalid_request",
                    error_description="Only S256 is supported.",
                    state=args.get("state"),
                )
            )
        if not login_uri:
            return Response(
                pages.message("Login URI not configured", "Set settings.connect_login_uri in the emulator seed."),
                status=500,
                content_type="text/html",
            )
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
        return redirect_to(with_query(login_uri, external_auth_id=ext_id))

    def on_connect_complete(self, request):
        self.require_api_key(request)
        data = check_types(
            self.body(request), {"external_auth_id": str, "user": dict, "user_consent_options": (list, None)}
        )
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
                fail(
                    400,
                    code="external_auth_session_already_completed",
                    message="This external authentication session has already been completed.",
                )
            if not EMAIL.match(email):
                fail(400, code="invalid_email", message="The email address is invalid.")
            user = next((u for u in store.users.values() if u["external_id"] == user_in["id"]), None)
            holder = store.user_by_email(email)
            if holder and (user is None or holder["id"] != user["id"]):
                fail(400, code="email_not_available", message="The email address is already in use by another user.")
            if user is None:
                user = store.add_user(
                    email,
                    first_name=user_in.get("first_name"),
                    last_name=user_in.get("last_name"),
                    external_id=user_in["id"],
                    metadata=user_in.get("metadata"),
                )
            else:
                user.update(
                    {
                        "email": email,
                        "first_name": user_in.get("first_name", user["first_name"]),
                        "last_name": user_in.get("last_name", user["last_name"]),
                        "updated_at": store.iso(),
                    }
                )
                if user_in.get("metadata") is not None:
                    user["metadata"] = user_in["metadata"]
            ext["completed"] = True
            consent_id = new_id("app_consent")
            store.consents[consent_id] = {
                "ext_id": ext_id,
                "user_id": user["id"],
                "options": options or [],
                "chosen": None,
                "used": False,
            }
        return as_json({"redirect_uri": f"{self._issuer}/oauth2/consent?{urlencode({'consent_id': consent_id})}"})

    def _check_consent_options(self, options):
        if not isinstance(options, list):
            fail(422, message="user_consent_options must be a list.")
        for option in options:
            if not isinstance(option, dict) or not all(
                isinstance(option.get(k), str) and option.get(k) for k in ("claim", "label")
            ):
                fail(422, message="Each consent option needs a claim, a type, a label and choices.")
            if option.get("type") != "enum":
                fail(
                    400,
                    code="user_consent_options_not_supported",
                    message=f"Consent option type {option.get('type')!r} is not supported.",
                )
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
        return (
            isinstance(choice, dict) and isinstance(choice.get("value"), str) and isinstance(choice.get("label"), str)
        )

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
                return Response(
                    pages.message("Consent expired", "This consent request is unknown or was already answered."),
                    status=400,
                    content_type="text/html",
                )
            ext = store.external_auths[consent["ext_id"]]
            app = store.oauth_apps[ext["client_id"]]
            auto = store.auto_login
        options = consent["options"]
        if request.method == "GET" and not auto and options:
            return Response(pages.consent(consent_id, app, options, self._flat_choices), content_type="text/html")
        if request.method == "POST" and request.form.get("decision") == "deny":
            with store.lock:
                consent["used"] = True
            return redirect_to(with_query(ext["redirect_uri"], error="access_denied", state=ext["state"]))
        chosen = {}
        for option in options:
            valid = [c["value"] for _, c in self._flat_choices(option)]
            picked = request.form.get(option["claim"]) if request.method == "POST" else valid[0]
            if picked not in valid:
                return Response(
                    pages.message("Choose an option", f"Pick one of the choices for {option['label']}."),
                    status=400,
                    content_type="text/html",
                )
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
        return redirect_to(with_query(ext["redirect_uri"], code=code, state=ext["state"]))

    def on_oauth2_token(self, request):
        data = check_types(self.body(request), {name: (str, None) for name in TOKEN_STRING_FIELDS})
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
                if not hmac.compare_digest(s256(verifier), record["code_challenge"]):
                    oauth_fail("invalid_grant", "The code_verifier does not match the code_challenge.")
            user = public(store.users[record["user_id"]])
        now = int(store.now())
        base = {"iss": self._issuer, "aud": client_id, "sub": user["id"], "iat": now, "exp": now + 3600}
        access = dict(
            base,
            jti=new_id("jti")[4:],
            sid=record["consent_id"],
            email=user["email"],
            external_id=user["external_id"],
            scope=record["scope"],
            **record["claims"],
        )
        id_token = dict(
            base,
            email=user["email"],
            email_verified=user["email_verified"],
            given_name=user["first_name"],
            family_name=user["last_name"],
        )
        if record["nonce"]:
            id_token["nonce"] = record["nonce"]
        return as_json(
            {
                "access_token": self.key.sign(access),
                "token_type": "bearer",
                "expires_in": 3600,
                "id_token": self.key.sign(id_token),
            }
        )

    def on_oauth2_jwks(self, request):
        return as_json({"keys": [self.key.jwk]})

    def on_oauth2_metadata(self, request):
        base = self._issuer
        return as_json(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/oauth2/authorize",
                "token_endpoint": f"{base}/oauth2/token",
                "jwks_uri": f"{base}/oauth2/jwks",
                "response_types_supported": ["code"],
                "response_modes_supported": ["query"],
                "grant_types_supported": ["authorization_code"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
            }
        )
