"""The JSON API. Views translate HTTP to service calls; errors are mapped in api/errors.py."""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import audit, oidc, policy, tokens, workos_auth
from accounts.api import serializers as s
from accounts.api.permissions import SignInActive
from accounts.api.throttles import AuthorizeIPThrottle, PasswordAccountThrottle, PasswordIPThrottle, SignInIPThrottle
from accounts.authentication import ACCESS_COOKIE, REFRESH_COOKIE, AccessTokenAuthentication, enforce_csrf
from accounts.errors import GatehouseError, SignInRefused, TokenError
from accounts.models import AuditEvent, AuthSession, User, normalize_email
from accounts.provisioning import sign_in_by_identity
from accounts.sessions import end_sessions

ERRORS = {
    400: OpenApiResponse(s.ErrorSerializer, description="Invalid request"),
    401: OpenApiResponse(s.ErrorSerializer, description="Not authenticated or bad credentials"),
    403: OpenApiResponse(s.ErrorSerializer, description="Refused by policy"),
    429: OpenApiResponse(s.ErrorSerializer, description="Throttled; see Retry-After"),
    502: OpenApiResponse(s.ErrorSerializer, description="Identity provider unreachable"),
    503: OpenApiResponse(s.ErrorSerializer, description="Identity provider unavailable; see Retry-After"),
}


def _errors(*codes):
    return {code: ERRORS[code] for code in codes}


def user_payload(user):
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "organization_id": user.organization_id or None,
        "role": user.role or None,
    }


def set_token_cookies(response, pair):
    common = {"secure": not settings.DEBUG, "httponly": True, "samesite": "Lax"}
    response.set_cookie(ACCESS_COOKIE, pair.access, expires=pair.access_expires_at, path="/api/", **common)
    response.set_cookie(REFRESH_COOKIE, pair.refresh, expires=pair.refresh_expires_at, path="/api/token/refresh/", **common)


def clear_token_cookies(response):
    response.delete_cookie(ACCESS_COOKIE, path="/api/", samesite="Lax")
    response.delete_cookie(REFRESH_COOKIE, path="/api/token/refresh/", samesite="Lax")


def pair_response(pair, body, *, access_key, refresh_key, status_code=200):
    """Tokens in the body, or (cookie mode) in HttpOnly cookies and not in the body."""
    if not settings.GATEHOUSE_TOKEN_COOKIES:
        body = {access_key: pair.access, refresh_key: pair.refresh, **body}
    response = Response(body, status=status_code)
    if settings.GATEHOUSE_TOKEN_COOKIES:
        set_token_cookies(response, pair)
    return response


def signin_response(pair, user, *, created=False):
    body = {
        "access_expires_at": pair.access_expires_at,
        "refresh_expires_at": pair.refresh_expires_at,
        "user": {**user_payload(user), "organization_id": pair.session.organization_id or user.organization_id or None, "role": pair.session.role or user.role or None},
        "created": created,
    }
    return pair_response(pair, body, access_key="access_token", refresh_key="refresh_token")


class PublicAPIView(APIView):
    """No authentication; throttled per client IP (the sign-in scope unless a view says otherwise)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [SignInIPThrottle]

    def finalize_response(self, request, response, *args, **kwargs):
        # tokens and sign-in states must never sit in a browser's or a proxy's cache
        add_never_cache_headers(response)
        return super().finalize_response(request, response, *args, **kwargs)


class SignInView(PublicAPIView):
    """A sign-in endpoint: every failure is audited with its reason code."""

    method = ""

    def handle_exception(self, exc):
        if isinstance(exc, GatehouseError):
            email = self.request.data.get("email") if isinstance(self.request.data, dict) else ""
            audit.record(AuditEvent.Kind.SIGN_IN_FAILED, email=email if isinstance(email, str) else "", request=self.request, reason=exc.code, method=self.method)
        return super().handle_exception(exc)


def audit_sign_in(request, user, method):
    audit.record(AuditEvent.Kind.SIGN_IN_SUCCEEDED, user=user, request=request, method=method)


class WorkOSAuthorizeView(PublicAPIView):
    throttle_classes = [AuthorizeIPThrottle]

    @extend_schema(
        operation_id="workos_authorize",
        parameters=[s.AuthorizeQuerySerializer],
        responses={200: s.AuthorizeResponseSerializer, **_errors(400, 502, 503)},
        summary="AuthKit URL for an SPA to send the browser to (state + PKCE kept server-side)",
    )
    def get(self, request):
        query = s.AuthorizeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        url, state = workos_auth.authorization_url(**query.validated_data)
        return Response({"authorization_url": url, "state": state})


class WorkOSCallbackView(SignInView):
    method = "workos"

    @extend_schema(
        operation_id="workos_callback",
        request=s.CallbackRequestSerializer,
        responses={200: s.TokenPairResponseSerializer, **_errors(400, 403, 429, 502, 503)},
        summary="Unified WorkOS callback: exchange an AuthKit or SSO code for a JWT pair",
        description="Known WorkOS user: sign in. Known to WorkOS but not here: provision. "
        "Exchange refused: 400 with WorkOS's error code.",
    )
    def post(self, request):
        body = s.CallbackRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        result = workos_auth.complete(
            code=data.get("code"),
            state=data.get("state") or None,
            redirect_uri=data.get("redirect_uri") or None,
            organization_hint=data.get("organization_id") or "",
            error=data.get("error") or None,
            error_description=data.get("error_description") or None,
            request=request,
        )
        pair = tokens.issue_pair(
            result.user,
            method=result.method,
            request=request,
            workos_session_id=result.workos_session_id,
            workos_refresh_token=result.workos_refresh_token,
            organization_id=result.organization_id,
            role=result.role,
        )
        audit_sign_in(request, result.user, result.method)
        return signin_response(pair, result.user, created=result.created)


class PasswordTokenView(SignInView):
    method = AuthSession.Method.PASSWORD
    throttle_classes = [PasswordIPThrottle, PasswordAccountThrottle]

    @extend_schema(
        operation_id="token_obtain",
        request=s.PasswordLoginSerializer,
        responses={200: s.SimplePairSerializer, **_errors(400, 401, 403, 429)},
        summary="Email + password -> JWT pair",
    )
    def post(self, request):
        body = s.PasswordLoginSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        email = normalize_email(body.validated_data["email"])
        password = body.validated_data["password"]
        policy.check_method(email, AuthSession.Method.PASSWORD)  # by domain: reveals no account
        user = User.objects.filter(email=email).first()
        if user is None or not user.has_usable_password():
            make_password(password)  # same work as a real check: no timing tell for unknown emails
            ok = False
        else:
            ok = user.check_password(password)
        if not ok:
            raise TokenError("Email or password is incorrect.", code="invalid_credentials")
        if not user.is_active:
            raise SignInRefused("This account is disabled. Contact your administrator.", code="user_inactive")
        pair = tokens.issue_pair(user, method=AuthSession.Method.PASSWORD, request=request)
        audit_sign_in(request, user, AuthSession.Method.PASSWORD)
        return pair_response(pair, {}, access_key="access", refresh_key="refresh")


class RefreshView(PublicAPIView):
    @extend_schema(
        operation_id="token_refresh",
        request=s.RefreshSerializer,
        responses={200: s.SimplePairSerializer, **_errors(400, 401, 503)},
        summary="Rotate a refresh token (the old one stops working)",
    )
    def post(self, request):
        body = s.RefreshSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        raw = body.validated_data.get("refresh")
        if not raw and settings.GATEHOUSE_TOKEN_COOKIES and request.COOKIES.get(REFRESH_COOKIE):
            enforce_csrf(request)
            raw = request.COOKIES[REFRESH_COOKIE]
        if not raw:
            raise TokenError("A refresh token is required.", code="token_missing")
        pair = tokens.refresh_pair(raw, refresh_workos=workos_auth.refresh_session)
        return pair_response(pair, {}, access_key="access", refresh_key="refresh")


class VerifyView(PublicAPIView):
    @extend_schema(
        operation_id="token_verify",
        request=s.VerifySerializer,
        responses={200: s.VerifyResponseSerializer, **_errors(400, 401)},
        summary="Check a token: signature, expiry, and that its sign-in session is still active",
    )
    def post(self, request):
        body = s.VerifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        claims = tokens.verify(body.validated_data["token"])
        from rest_framework_simplejwt.utils import datetime_from_epoch

        return Response({"token_type": claims["token_type"], "expires_at": datetime_from_epoch(claims["exp"])})


class LogoutView(APIView):
    @extend_schema(
        operation_id="logout",
        request=None,
        responses={200: s.LogoutResponseSerializer, **_errors(401)},
        summary="End this sign-in: our tokens, the WorkOS session, and the cookies",
    )
    def post(self, request):
        user = request.user
        sid = user.workos_session_id
        tokens.revoke_sessions(AuthSession.objects.filter(id=user.session_id), reason="logout")
        audit.record(AuditEvent.Kind.LOGOUT, user=user, request=request)
        if sid:
            tokens.revoke_workos_session(sid)
            workos_auth.revoke_session(sid)
        response = Response(
            {
                "message": "Successfully logged out",
                "workos_logout_url": workos_auth.logout_url(sid) if sid else None,
                "redirect_to": settings.LOGIN_URL,
            }
        )
        clear_token_cookies(response)
        return response


def _token_user_payload(user):
    return {
        "id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "organization_id": user.organization_id,
        "role": user.role,
    }


class MeView(APIView):
    """The hottest endpoint: every SPA page load asks it who is signed in."""

    def dispatch(self, request, *args, **kwargs):
        # GET is answered from the access token alone, without DRF's request wrapping, content
        # negotiation and renderers (half the cost of this view); same authentication, same
        # JSON, same error shape. Other methods go through DRF (405 and friends).
        if request.method != "GET":
            return super().dispatch(request, *args, **kwargs)
        auth = AccessTokenAuthentication()
        try:
            result = auth.authenticate(request)
        except exceptions.AuthenticationFailed as exc:
            body = {"code": str(exc.detail.get("code", "token_invalid")), "message": str(exc.detail.get("detail", ""))}
            result = None
        else:
            body = {"code": "not_authenticated", "message": "Authentication credentials were not provided."}
        if result is None:
            response = JsonResponse(body, status=401)
            response["WWW-Authenticate"] = auth.authenticate_header(request)
            return response
        return JsonResponse(_token_user_payload(result[0]))

    @extend_schema(operation_id="me", responses={200: s.UserSerializer, **_errors(401)}, summary="The signed-in user (from the access token)")
    def get(self, request):  # documents the GET answered in dispatch()
        return Response(_token_user_payload(request.user))


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
        policy.check_method(identity.email, self.provider)
        user, _created = sign_in_by_identity(identity, may_create=False)
        pair = tokens.issue_pair(user, method=self.provider, request=request)
        audit_sign_in(request, user, self.provider)
        return signin_response(pair, user)


_OIDC_SCHEMA = dict(
    request=s.OIDCCodeSerializer,
    responses={200: s.TokenPairResponseSerializer, **_errors(400, 401, 403, 502, 503), 404: OpenApiResponse(s.ErrorSerializer, description="Provider not configured")},
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


def session_payload(session, current_id=None):
    return {
        "id": session.id,
        "method": session.method,
        "channel": session.channel,
        "user_agent": session.user_agent,
        "ip_address": session.ip_address,
        "organization_id": session.organization_id or None,
        "created_at": session.created_at,
        "last_refreshed_at": session.last_refreshed_at,
        "current": session.id == current_id,
    }


class _SignInManagementView(APIView):
    permission_classes = [SignInActive]


class SessionListView(_SignInManagementView):
    @extend_schema(operation_id="sessions_list", responses={200: s.SessionSerializer(many=True), **_errors(401)}, summary="My active sign-ins")
    def get(self, request):
        sessions = AuthSession.objects.filter(user_id=request.user.id, revoked_at__isnull=True)
        return Response([session_payload(x, request.user.session_id) for x in sessions])


class SessionRevokeAllView(_SignInManagementView):
    @extend_schema(operation_id="sessions_revoke_all", request=s.RevokeAllSerializer, responses={200: s.RevokedSerializer, **_errors(401)}, summary="Sign out everywhere (optionally keeping this sign-in)")
    def post(self, request):
        body = s.RevokeAllSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        sessions = AuthSession.objects.filter(user_id=request.user.id)
        if body.validated_data.get("keep_current"):
            sessions = sessions.exclude(id=request.user.session_id)
        return Response({"revoked": end_sessions(request.user, sessions, reason="signed_out_everywhere", request=request)})


class SessionDetailView(_SignInManagementView):
    @extend_schema(operation_id="sessions_revoke", request=None, responses={200: s.RevokedSerializer, **_errors(401), 404: ERRORS[400]}, summary="End one of my sign-ins")
    def delete(self, request, session_id):
        sessions = AuthSession.objects.filter(user_id=request.user.id, id=session_id, revoked_at__isnull=True)
        if not sessions.exists():
            raise GatehouseError("No active sign-in of yours has this id.", code="session_not_found", status=404)
        return Response({"revoked": end_sessions(request.user, sessions, reason="signed_out", request=request)})
