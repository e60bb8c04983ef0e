"""The JSON API of AuthKit's sign-ins besides the redirect: the steps a WorkOS sign-in may ask for
(accounts.signin.steps), magic codes, password reset and a CLI's device code
(accounts.signin.authkit).

Each finished sign-in answers like the unified callback (a JWT pair and the user); a step still
to pass answers 403 with the step's code and `detail.pending_token`."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response

from accounts import sessions
from accounts.api import serializers as s
from accounts.api import style
from accounts.api.base import PublicAPIView, SignInView, errors, signed_in
from accounts.api.throttles import (
    AuthorizeIPThrottle,
    EmailSendThrottle,
    PasswordAccountThrottle,
    PasswordIPThrottle,
    SignInIPThrottle,
)
from accounts.models import SignInMethod
from accounts.signin import authkit, flow, steps

_STEP_403 = OpenApiResponse(
    s.ErrorSerializer,
    description="Refused by policy, or another step first: `email_verification_required` (`detail.email`), "
    "`mfa_enrollment`, `mfa_challenge` (`detail.factors`) or `organization_selection_required` "
    "(`detail.organizations`), each with `detail.pending_token` for that step.",
)
SIGNED_IN = {200: s.TokenPairResponseSerializer, **errors(400, 429, 502, 503), 403: _STEP_403}
_SENT = "If this address can sign in, an email is on its way."


def _valid(serializer_class, request):
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return body.validated_data


class _StepView(SignInView):
    """A step of a pending sign-in. Codes are guessable: counted per address like passwords."""

    method = "workos"
    throttle_classes = [PasswordIPThrottle]


class EmailVerificationStepView(_StepView):
    @extend_schema(
        operation_id="step_email_verification",
        request=s.CodeStepSerializer,
        responses=SIGNED_IN,
        summary="Finish a sign-in with the code WorkOS emailed",
    )
    def post(self, request):
        data = _valid(s.CodeStepSerializer, request)
        return signed_in(
            request,
            flow.complete(
                request, steps.verify_email(data["pending_token"], data["code"], request=request), flow.Channel.API
            ),
        )


class MfaEnrollView(_StepView):
    @extend_schema(
        operation_id="step_mfa_enroll",
        request=s.StepSerializer,
        responses={200: s.EnrollmentSerializer, **errors(400, 429, 502, 503)},
        summary="Set up a first authenticator (TOTP) for `mfa_enrollment`",
        description="Returns the QR code and secret once; then send a code from the app to `/api/auth/steps/mfa`. "
        "Asking again replaces the factor not yet confirmed.",
    )
    def post(self, request):
        data = _valid(s.StepSerializer, request)
        return Response(style.present(steps.enroll_totp(data["pending_token"])))


class MfaStepView(_StepView):
    @extend_schema(
        operation_id="step_mfa",
        request=s.MfaStepSerializer,
        responses=SIGNED_IN,
        summary="Finish a sign-in with a code from the authenticator app (or a recovery code)",
        description="After setting up an authenticator, the answer carries `recovery_codes` (shown once). "
        "A `recovery_code` at `mfa_challenge` is spent (400 `invalid_recovery_code` when wrong or used; it costs "
        "a try) and answers 403 `mfa_enrollment`: set up the new authenticator with the same pending_token.",
    )
    def post(self, request):
        data = _valid(s.MfaStepSerializer, request)
        if data.get("recovery_code"):
            proven = steps.use_recovery_code(data["pending_token"], data["recovery_code"], request=request)
        else:
            proven = steps.verify_totp(
                data["pending_token"], data["code"], factor_id=data.get("factor_id", ""), request=request
            )
        return signed_in(request, flow.complete(request, proven, flow.Channel.API))


class OrganizationStepView(_StepView):
    throttle_classes = [SignInIPThrottle]

    @extend_schema(
        operation_id="step_organization",
        request=s.OrganizationStepSerializer,
        responses=SIGNED_IN,
        summary="Finish a sign-in by choosing the organization",
    )
    def post(self, request):
        data = _valid(s.OrganizationStepSerializer, request)
        return signed_in(
            request,
            flow.complete(
                request,
                steps.choose_organization(data["pending_token"], data["organization_id"], request=request),
                flow.Channel.API,
            ),
        )


class MagicCodeView(PublicAPIView):
    throttle_classes = [SignInIPThrottle, EmailSendThrottle]

    @extend_schema(
        operation_id="magic_code_send",
        request=s.EmailSerializer,
        responses={202: s.MessageSerializer, **errors(400, 403, 429, 502, 503)},
        summary="Email a one-time sign-in code",
        description="The answer is the same whether or not the address has an account. "
        "403 `method_not_allowed` when the domain's login rule requires another method.",
    )
    def post(self, request):
        authkit.send_magic_code(_valid(s.EmailSerializer, request)["email"], request=request)
        return Response({"message": _SENT}, status=202)


class MagicCodeVerifyView(SignInView):
    method = SignInMethod.MAGIC_CODE
    throttle_classes = [PasswordIPThrottle, PasswordAccountThrottle]

    @extend_schema(
        operation_id="magic_code_verify",
        request=s.MagicCodeVerifySerializer,
        responses=SIGNED_IN,
        summary="Sign in with the emailed code",
    )
    def post(self, request):
        data = _valid(s.MagicCodeVerifySerializer, request)
        return signed_in(
            request,
            flow.complete(
                request, authkit.verify_magic_code(data["email"], data["code"], request=request), flow.Channel.API
            ),
        )


class PasswordResetView(PublicAPIView):
    throttle_classes = [SignInIPThrottle, EmailSendThrottle]

    @extend_schema(
        operation_id="password_reset_send",
        request=s.EmailSerializer,
        responses={202: s.MessageSerializer, **errors(400, 429, 502, 503)},
        summary="Email a password reset link (WorkOS-held passwords)",
        description="The answer is the same whether or not the address has an account.",
    )
    def post(self, request):
        authkit.send_password_reset(_valid(s.EmailSerializer, request)["email"])
        return Response({"message": _SENT}, status=202)


class PasswordResetConfirmView(PublicAPIView):
    throttle_classes = [PasswordIPThrottle]

    @extend_schema(
        operation_id="password_reset_confirm",
        request=s.PasswordResetConfirmSerializer,
        responses={200: s.MessageSerializer, **errors(400, 429, 502, 503)},
        summary="Set a new password with the token of the reset link; every sign-in of the person ends",
        description="400 `password_reset_invalid` (unknown, expired or used link) or `password_too_weak`.",
    )
    def post(self, request):
        data = _valid(s.PasswordResetConfirmSerializer, request)
        sessions.end_for_password_reset(
            authkit.confirm_password_reset(data["token"], data["new_password"]), request=request
        )
        return Response({"message": "Your password was changed. Sign in with the new one."})


class DeviceStartView(PublicAPIView):
    throttle_classes = [AuthorizeIPThrottle]

    @extend_schema(
        operation_id="device_start",
        request=None,
        responses={200: s.DeviceStartSerializer, **errors(404, 429, 502, 503)},
        summary="Start a CLI sign-in by device code (RFC 8628)",
        description="Show `user_code` and `verification_uri` (or `verification_uri_complete`) to the person, "
        "then poll `/api/auth/device/token` every `interval` seconds.",
    )
    def post(self, request):
        return Response(style.present(authkit.start_device()))


class DeviceTokenView(SignInView):
    method = SignInMethod.DEVICE

    @extend_schema(
        operation_id="device_token",
        request=s.DeviceTokenSerializer,
        responses={
            200: s.TokenPairResponseSerializer,
            400: OpenApiResponse(
                s.ErrorSerializer,
                description=(
                    "`authorization_pending` (poll again after `detail.interval` seconds), `slow_down` (wait longer: "
                    "`detail.interval`), `expired_token` or `access_denied` (stop), or an invalid request"
                ),
            ),
            **errors(403, 429, 502, 503),
        },
        summary="Poll a CLI sign-in; a JWT pair once the person has signed in",
    )
    def post(self, request):
        data = _valid(s.DeviceTokenSerializer, request)
        # a CLI keeps no cookies: the tokens are in the body whatever GATEHOUSE_TOKEN_COOKIES says
        return signed_in(
            request,
            flow.complete(request, authkit.poll_device(data["device_code"], request=request), flow.Channel.API),
            in_body=True,
        )

    def handle_exception(self, exc):
        if getattr(exc, "code", "") in ("authorization_pending", "slow_down"):
            return super(SignInView, self).handle_exception(exc)  # polling, not a failed sign-in
        return super().handle_exception(exc)
