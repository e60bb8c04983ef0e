"""The JSON API. Views translate HTTP to calls of a sign-in provider (accounts.signin.*), of
accounts.signin.flow (which finishes every sign-in) and of accounts.sessions; errors are mapped
once in api/errors.py, shared plumbing is in api/base.py."""

import functools

import orjson
from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts import impersonation, mfa, passwords, ratelimit, sessions, tokens
from accounts.api import serializers as s
from accounts.api import style
from accounts.api.base import ERRORS, PublicAPIView, SignInView, clear_token_cookies, errors, pair_response, signed_in
from accounts.api.permissions import SignInActive
from accounts.api.throttles import (
    AuthorizeIPThrottle,
    PasswordAccountThrottle,
    PasswordChangeThrottle,
    PasswordIPThrottle,
    SignInIPThrottle,
)
from accounts.authentication import REFRESH_COOKIE, AccessTokenAuthentication, cookies_accepted, enforce_csrf
from accounts.client import client_ip
from accounts.conf import app_settings
from accounts.errors import GatehouseError, TokenError
from accounts.http import throttled_message
from accounts.models import AuthSession, SignInMethod, User
from accounts.signin import flow, oidc, password, workos
from observability import metrics


class WorkOSAuthorizeView(PublicAPIView):
    throttle_classes = [AuthorizeIPThrottle]

    @extend_schema(
        operation_id="workos_authorize",
        parameters=[s.AuthorizeQuerySerializer],
        responses={200: s.AuthorizeResponseSerializer, **errors(400, 502, 503)},
        summary="AuthKit URL for an SPA to send the browser to (state + PKCE kept server-side)",
    )
    def get(self, request):
        query = s.AuthorizeQuerySerializer(data=style.query(request))
        query.is_valid(raise_exception=True)
        url, state = workos.authorization_url(**query.validated_data)
        return Response(style.present({"authorization_url": url, "state": state}))


class WorkOSCallbackView(SignInView):
    method = "workos"

    @extend_schema(
        operation_id="workos_callback",
        request=s.CallbackSerializer,
        responses={200: s.TokenPairResponseSerializer, **errors(400, 403, 429, 502, 503)},
        summary="Unified WorkOS callback: exchange an AuthKit or SSO code for a JWT pair",
        description="Known WorkOS user: sign in. Known to WorkOS but not here: provision. "
        "Exchange refused: 400 with WorkOS's error code.",
    )
    def post(self, request):
        body = s.CallbackSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        proven = workos.exchange_code(
            code=data.get("code"),
            state=data.get("state") or None,
            redirect_uri=data.get("redirect_uri") or None,
            organization_hint=data.get("organization_id") or "",
            error=data.get("error") or None,
            error_description=data.get("error_description") or None,
            request=request,
        )
        return signed_in(request, flow.complete(request, proven, flow.Channel.API))


_PASSWORD_DESCRIPTION = (
    "The password is checked by Django or, for WorkOS-held passwords, by WorkOS "
    "(`GATEHOUSE_PASSWORD_BACKEND`, or the email domain's login rule). A WorkOS sign-in may "
    "answer 403 with a step to pass first (`email_verification_required`, `mfa_enrollment`, "
    "`mfa_challenge`, `organization_selection_required`; see the `/api/auth/steps/` endpoints)."
)


class PasswordTokenView(SignInView):
    """Email + password; the answer is the bare pair (simplejwt's `/api/token/` shape)."""

    method = SignInMethod.PASSWORD
    throttle_classes = [PasswordIPThrottle, PasswordAccountThrottle]
    with_user = False

    @extend_schema(
        operation_id="token_obtain",
        request=s.PasswordLoginSerializer,
        responses={200: s.SimplePairSerializer, **errors(400, 401, 403, 429, 502, 503)},
        summary="Email + password -> JWT pair",
        description=_PASSWORD_DESCRIPTION,
    )
    def post(self, request):
        body = s.PasswordLoginSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        return signed_in(
            request,
            flow.complete(
                request, password.authenticate(data["email"], data["password"], request=request), flow.Channel.API
            ),
            with_user=self.with_user,
        )


class PasswordLoginView(PasswordTokenView):
    """Email + password answered like the WorkOS callback: the pair, the user, the session config."""

    with_user = True

    @extend_schema(
        operation_id="password_login",
        request=s.PasswordLoginSerializer,
        responses={200: s.TokenPairResponseSerializer, **errors(400, 401, 403, 429, 502, 503)},
        summary="Email + password -> JWT pair and user (the callback's answer)",
        description=_PASSWORD_DESCRIPTION,
    )
    def post(self, request):
        return super().post(request)


class RefreshView(PublicAPIView):
    waits_on_workos = True  # see workos_integration.waiting

    @extend_schema(
        operation_id="token_refresh",
        request=s.RefreshSerializer,
        responses={200: s.SimplePairSerializer, **errors(400, 401, 429, 503)},
        summary="Rotate a refresh token (the old one stops working)",
    )
    def post(self, request):
        body = s.RefreshSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        raw = body.validated_data.get("refresh")
        from_cookie = not raw and cookies_accepted() and bool(request.COOKIES.get(REFRESH_COOKIE))
        if from_cookie:
            enforce_csrf(request)
            raw = request.COOKIES[REFRESH_COOKIE]
        if not raw:
            raise TokenError("A refresh token is required.", code="token_missing")
        # answered as it came: a refresh token from the cookie gets cookies back
        response = pair_response(sessions.refresh(raw), {}, cookies=from_cookie or None, request=request)
        metrics.REFRESHES.labels("succeeded", "").inc()
        return response

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        code = response.data.get("code", "") if isinstance(response.data, dict) else ""
        metrics.REFRESHES.labels("refused", str(code)).inc()
        if response.status_code == 401 and self.request.COOKIES.get(REFRESH_COOKIE):
            clear_token_cookies(response)  # the sign-in is over: the browser forgets it too
        return response


class VerifyView(PublicAPIView):
    @extend_schema(
        operation_id="token_verify",
        request=s.VerifySerializer,
        responses={200: s.VerifyResponseSerializer, **errors(400, 401, 429)},
        summary="Check a token: signature, expiry, and that its sign-in session is still active",
    )
    def post(self, request):
        body = s.VerifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        claims = tokens.verify(body.validated_data["token"])
        return Response({"token_type": claims["token_type"], "expires_at": datetime_from_epoch(claims["exp"])})


class LogoutView(APIView):
    @extend_schema(
        operation_id="logout",
        request=s.LogoutRequestSerializer,
        responses={200: s.LogoutResponseSerializer, **errors(400, 401)},
        summary="End this sign-in: our tokens, the WorkOS session, and the cookies",
        description="`return_to` is used only when it is `WORKOS_LOGOUT_RETURN_TO` or one of "
        "`WORKOS_ALLOWED_LOGOUT_RETURN_TOS`; any other value is ignored (the logout still happens).",
    )
    def post(self, request):
        user = request.user
        body = s.LogoutRequestSerializer(data=request.data if isinstance(request.data, dict) else {})
        wanted = body.validated_data.get("return_to") if body.is_valid() else ""
        allowed = [app_settings.WORKOS_LOGOUT_RETURN_TO, *app_settings.WORKOS_ALLOWED_LOGOUT_RETURN_TOS]
        return_to = wanted if wanted and wanted in allowed else None
        url = sessions.sign_out(
            request,
            user=user,
            session_id=user.session_id,
            workos_session_id=user.workos_session_id or "",
            return_to=return_to,
        )
        response = Response(
            {"message": "Successfully logged out", "workos_logout_url": url, "redirect_to": settings.LOGIN_URL}
        )
        clear_token_cookies(response)
        return response


_USER = s.UserSerializer()


def me_body(user):
    """What UserSerializer renders for the user of an access token, built directly: this is the
    hottest endpoint (a test holds the two to the same output)."""
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "organization_id": user.organization_id or None,
        "role": user.role or None,
        "impersonator": user.impersonator,
    }


def _json(body, status=200):
    """A JSON response for a body of plain strings, numbers and None, compact as DRF renders
    it, without JsonResponse's per-call encoder class and str-to-bytes round trip (half its cost)."""
    return HttpResponse(orjson.dumps(body), content_type="application/json", status=status)


class MeView(APIView):
    """The hottest endpoint: every SPA page load asks it who is signed in."""

    @classmethod
    def as_view(cls, **initkwargs):
        # GET is answered from the access token alone, before a view instance is made and without
        # DRF's request wrapping, content negotiation and renderers (most of this view's cost);
        # same authentication, same JSON, same error shape. Other methods go through DRF (405 and
        # friends). The wrapper keeps DRF's attributes (csrf_exempt, cls for the schema).
        through_drf = super().as_view(**initkwargs)

        @functools.wraps(through_drf)
        def view(request, *args, **kwargs):
            if request.method == "GET":
                return cls.answer_get(request)
            return through_drf(request, *args, **kwargs)

        return view

    @staticmethod
    def answer_get(request):
        auth = AccessTokenAuthentication()
        try:
            result = auth.authenticate(request)
        except exceptions.AuthenticationFailed as exc:
            body = {"code": str(exc.detail.get("code", "token_invalid")), "message": str(exc.detail.get("detail", ""))}
            result = None
        else:
            body = {"code": "not_authenticated", "message": "Authentication credentials were not provided."}
        if result is None:
            metrics.TOKEN_REFUSALS.labels(body["code"]).inc()
            # refusals are counted per client IP (token guessing); a valid token never touches the cache
            limited = ratelimit.hit("sign_in_ip", client_ip(request))
            if limited is not None:
                response = _json({"code": "throttled", "message": throttled_message(limited)}, status=429)
                response["Retry-After"] = str(int(limited.wait) + 1)
                return response
            response = _json(body, status=401)
            response["WWW-Authenticate"] = auth.authenticate_header(request)
            return response
        return _json(style.present_user(me_body(result[0])))

    @extend_schema(
        operation_id="me",
        responses={200: s.UserSerializer, **errors(401, 429)},
        summary="The signed-in user (from the access token)",
    )
    def get(self, request):  # documents the GET answered by answer_get(); HEAD comes here
        return Response(style.present_user(_USER.to_representation(request.user)))


class _OIDCCodeView(SignInView):
    provider = None

    @property
    def method(self):
        return self.provider

    def post(self, request):
        body = s.OIDCCodeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        identity = oidc.authenticate(
            self.provider,
            code=data["code"],
            redirect_uri=data["redirect_uri"],
            code_verifier=data.get("code_verifier", ""),
            nonce=data.get("nonce", ""),
        )
        return signed_in(request, flow.complete(request, identity, flow.Channel.API))


_OIDC_SCHEMA = dict(
    request=s.OIDCCodeSerializer,
    responses={200: s.TokenPairResponseSerializer, **errors(400, 401, 403, 404, 502, 503)},
    description="For existing users only: the person is found by their provider identity, or by "
    "verified email (the identity is then linked). Unknown people get 403 `account_not_found`.",
)


class GoogleView(_OIDCCodeView):
    provider = "google"

    @extend_schema(operation_id="google_login", summary="Google authorization code -> JWT pair", **_OIDC_SCHEMA)
    def post(self, request):
        return super().post(request)


class OktaView(_OIDCCodeView):
    provider = "okta"

    @extend_schema(operation_id="okta_login", summary="Okta authorization code -> JWT pair", **_OIDC_SCHEMA)
    def post(self, request):
        return super().post(request)


class _SignInManagementView(APIView):
    permission_classes = [SignInActive]


class SessionListView(_SignInManagementView):
    @extend_schema(
        operation_id="sessions_list",
        responses={200: s.SessionSerializer(many=True), **errors(401)},
        summary="My active sign-ins",
    )
    def get(self, request):
        mine = AuthSession.objects.filter(user_id=request.user.id, revoked_at__isnull=True)
        return Response(s.SessionSerializer(mine, many=True, context={"current": request.user.session_id}).data)


class SessionRevokeAllView(_SignInManagementView):
    @extend_schema(
        operation_id="sessions_revoke_all",
        request=s.RevokeAllSerializer,
        responses={200: s.RevokedSerializer, **errors(400, 401)},
        summary="Sign out everywhere (optionally keeping this sign-in)",
    )
    def post(self, request):
        body = s.RevokeAllSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        mine = AuthSession.objects.filter(user_id=request.user.id)
        if body.validated_data.get("keep_current"):
            mine = mine.exclude(id=request.user.session_id)
        return Response(
            {"revoked": sessions.end_sessions(mine, reason="signed_out_everywhere", user=request.user, request=request)}
        )


class SessionDetailView(_SignInManagementView):
    @extend_schema(
        operation_id="sessions_revoke",
        request=None,
        responses={200: s.RevokedSerializer, **errors(401), 404: ERRORS[404]},
        summary="End one of my sign-ins",
    )
    def delete(self, request, session_id):
        chosen = AuthSession.objects.filter(user_id=request.user.id, id=session_id, revoked_at__isnull=True)
        if not chosen.exists():
            raise GatehouseError("No active sign-in of yours has this id.", code="session_not_found", status=404)
        return Response(
            {"revoked": sessions.end_sessions(chosen, reason="signed_out", user=request.user, request=request)}
        )


class PasswordChangeView(_SignInManagementView):
    throttle_classes = [SignInIPThrottle, PasswordChangeThrottle]

    @extend_schema(
        operation_id="password_change",
        request=s.PasswordChangeSerializer,
        responses={200: s.PasswordChangedSerializer, **errors(400, 401, 403, 429, 502, 503)},
        summary="Change my password (every sign-in of mine ends, this one included)",
        description="The current password is checked where it is held (here, or by WorkOS); the new one "
        "must pass the password validators (400 `password_too_weak`). 400 `invalid_credentials` for a wrong "
        "current password, `password_unavailable` for an account without one here; 403 "
        "`forbidden_while_impersonating` for support staff signed in as the person.",
    )
    def post(self, request):
        body = s.PasswordChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ended = passwords.change(
            User.objects.get(pk=request.user.pk),
            body.validated_data["current_password"],
            body.validated_data["new_password"],
            impersonator=request.user.impersonator,
            request=request,
        )
        return Response(style.present({"ended": ended}))


class RecoveryCodesView(_SignInManagementView):
    throttle_classes = [SignInIPThrottle]  # making codes writes ten rows: not at any rate

    @extend_schema(
        operation_id="recovery_codes_left",
        responses={200: s.RecoveryCodesLeftSerializer, **errors(401)},
        summary="How many MFA recovery codes I have left",
    )
    def get(self, request):
        return Response(style.present({"remaining": mfa.remaining_recovery_codes(request.user)}))

    @extend_schema(
        operation_id="recovery_codes_create",
        request=None,
        responses={200: s.RecoveryCodesSerializer, **errors(401)},
        summary="Make new MFA recovery codes (the old ones stop working)",
    )
    def post(self, request):
        impersonation.refuse(request.user.impersonator, "recovery_codes", user=request.user, request=request)
        return Response(style.present({"recovery_codes": mfa.issue_recovery_codes(request.user, request=request)}))
