import copy

from rest_framework import serializers


class FlatSerializer(serializers.Serializer):
    """A serializer of plain fields, for the sign-in endpoints' hot paths. DRF deep-copies every
    declared field for each serializer it builds (re-creating the field from its arguments); a
    field with no child field or serializer inside only needs a shallow copy for binding, at
    half the cost of the whole validation."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        nested = [
            name
            for name, field in cls._declared_fields.items()
            if isinstance(field, serializers.BaseSerializer) or hasattr(field, "child")
        ]
        if nested:
            raise TypeError(f"{cls.__name__}: {', '.join(nested)} nest other fields; use serializers.Serializer")

    def get_fields(self):
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable snake_case error code to branch on.")
    message = serializers.CharField(help_text="A sentence for people.")
    detail = serializers.JSONField(required=False, help_text="Per-field messages for validation errors.")


class UserSerializer(FlatSerializer):
    """The signed-in person, with the organization and role of this sign-in."""

    # Renders a User or the user an access token describes; with `context["session"]`, the
    # organization and role are that sign-in's.

    id = serializers.IntegerField()
    email = serializers.EmailField()
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    organization_id = serializers.CharField(
        allow_null=True, help_text="The WorkOS organization of this sign-in, if any."
    )
    role = serializers.CharField(allow_null=True, help_text="The role slug in that organization, if any.")
    impersonator = serializers.JSONField(
        allow_null=True,
        default=None,
        help_text="`{email, reason}` when support staff signed in as this person (WorkOS impersonation), else null.",
    )

    def to_representation(self, instance):
        data = super().to_representation(instance)
        session = self.context.get("session")
        for name in ("organization_id", "role"):
            data[name] = (getattr(session, name, "") if session is not None else "") or data[name] or None
        data["impersonator"] = (
            session.impersonator if session is not None else getattr(instance, "impersonator", None)
        ) or None
        return data


class AuthorizeQuerySerializer(serializers.Serializer):
    redirect_uri = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    provider = serializers.CharField(required=False, allow_blank=True, max_length=64)
    organization_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    connection_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    login_hint = serializers.CharField(required=False, allow_blank=True, max_length=254)


class AuthorizeResponseSerializer(serializers.Serializer):
    authorization_url = serializers.URLField()
    state = serializers.CharField()


class CallbackSerializer(FlatSerializer):
    code = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    state = serializers.CharField(required=False, allow_blank=True, max_length=500)
    redirect_uri = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    organization_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    error = serializers.CharField(required=False, allow_blank=True, max_length=200)
    error_description = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    def validate(self, attrs):
        if not attrs.get("error") and not attrs.get("code"):
            raise serializers.ValidationError({"code": "This field is required unless `error` is given."})
        return attrs


class SessionConfigSerializer(serializers.Serializer):
    """The session policy of this sign-in: clients warn people with it; the server enforces it."""

    enabled = serializers.BooleanField(help_text="Off: the sign-in lasts as long as its refresh tokens.")
    idle_timeout_minutes = serializers.IntegerField(
        help_text="Without activity (a refresh) for this long, the sign-in ends: `session_idle_timeout`."
    )
    absolute_lifetime_hours = serializers.IntegerField(help_text="No sign-in lasts longer: `session_expired`.")
    warning_minutes = serializers.IntegerField(help_text="Warn the person this long before an idle sign-out.")
    idle_tracking = serializers.BooleanField(help_text="Off: only the absolute lifetime applies.")
    sso_silent_renewal = serializers.BooleanField(
        help_text="SSO-like sign-ins (WorkOS, SSO, Google, Okta, device) may be renewed without asking."
    )
    sso_fallback = serializers.ChoiceField(
        choices=["redirect", "logout"], help_text="At their end: sign in again through WorkOS, or sign out."
    )
    password_silent_renewal = serializers.BooleanField(help_text="The same for password and emailed-code sign-ins.")
    password_fallback = serializers.ChoiceField(choices=["redirect", "logout"])
    silent_renewal = serializers.BooleanField(help_text="The renewal rule for this sign-in's method.")
    fallback = serializers.ChoiceField(
        choices=["redirect", "logout"], help_text="The fallback for this sign-in's method."
    )
    expires_at = serializers.DateTimeField(allow_null=True, help_text="When this sign-in ends at the latest.")


class TokenPairResponseSerializer(serializers.Serializer):
    access_token = serializers.CharField(required=False, help_text="Omitted in cookie mode.")
    refresh_token = serializers.CharField(required=False, help_text="Omitted in cookie mode.")
    access_expires_at = serializers.DateTimeField()
    refresh_expires_at = serializers.DateTimeField()
    user = UserSerializer()
    created = serializers.BooleanField(required=False, help_text="True when this sign-in created the account.")
    session_config = SessionConfigSerializer()
    recovery_codes = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Only when this sign-in set up an authenticator: ten one-time MFA recovery codes, shown this once.",
    )


class PasswordLoginSerializer(FlatSerializer):
    email = serializers.CharField(max_length=254, write_only=True)
    password = serializers.CharField(max_length=1024, write_only=True, trim_whitespace=False)


class SimplePairSerializer(serializers.Serializer):
    access = serializers.CharField(required=False, help_text="Omitted in cookie mode.")
    refresh = serializers.CharField(required=False, help_text="Omitted in cookie mode.")
    session_config = SessionConfigSerializer()


class RefreshSerializer(FlatSerializer):
    refresh = serializers.CharField(
        required=False, max_length=4000, help_text="Optional in cookie mode (read from the cookie)."
    )
    refresh_token = serializers.CharField(
        required=False, max_length=4000, help_text="The same, as the sign-in answer names it (`refreshToken`)."
    )

    def validate(self, attrs):
        both = attrs.get("refresh"), attrs.get("refresh_token")
        if all(both) and both[0] != both[1]:
            raise serializers.ValidationError("refresh and refresh_token differ: send one of them.")
        return {"refresh": both[0] or both[1]} if any(both) else {}


class VerifySerializer(serializers.Serializer):
    token = serializers.CharField(max_length=4000)


class VerifyResponseSerializer(serializers.Serializer):
    token_type = serializers.CharField()
    expires_at = serializers.DateTimeField()


class LogoutRequestSerializer(serializers.Serializer):
    return_to = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Where WorkOS should send the browser afterwards (allowlisted).",
    )


class LogoutResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    workos_logout_url = serializers.CharField(allow_null=True)
    redirect_to = serializers.CharField()


class OIDCCodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=2000)
    redirect_uri = serializers.CharField(max_length=2000)
    code_verifier = serializers.CharField(required=False, allow_blank=True, max_length=128)
    nonce = serializers.CharField(required=False, allow_blank=True, max_length=255)


class SSOAuthorizeQuerySerializer(serializers.Serializer):
    email = serializers.EmailField(required=False)
    organization_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    connection_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    redirect_uri = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class SessionSerializer(serializers.Serializer):
    """One of the person's active sign-ins (a browser or an app)."""

    # `current` marks the one whose id is `context["current"]`.

    id = serializers.CharField()
    method = serializers.CharField()
    channel = serializers.ChoiceField(choices=["api", "browser"], help_text="App (token) or browser sign-in.")
    user_agent = serializers.CharField(allow_blank=True)
    device = serializers.CharField(
        allow_blank=True, help_text='The user agent as people say it, e.g. "Chrome on Linux".'
    )
    ip_address = serializers.IPAddressField(allow_null=True)
    organization_id = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    last_refreshed_at = serializers.DateTimeField(allow_null=True)
    last_seen_at = serializers.DateTimeField(allow_null=True, help_text="The last activity the session policy counts.")
    current = serializers.SerializerMethodField()

    def get_current(self, session) -> bool:
        return session.id == self.context.get("current")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["organization_id"] = data["organization_id"] or None
        return data


class RevokeAllSerializer(serializers.Serializer):
    keep_current = serializers.BooleanField(required=False, default=False)


class RevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField()


class StepSerializer(serializers.Serializer):
    pending_token = serializers.CharField(
        max_length=500, help_text="`detail.pending_token` of the 403 that asked for this step."
    )


class CodeStepSerializer(StepSerializer):
    code = serializers.CharField(max_length=20, help_text="The one-time code (digits).")


class MfaStepSerializer(StepSerializer):
    code = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text="The authenticator app's code (digits)."
    )
    recovery_code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="At `mfa_challenge`, instead of `code`: a recovery code. The lost authenticator is removed and "
        "the answer is 403 `mfa_enrollment`: set up a new one with the same pending_token.",
    )
    factor_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="Which of the offered factors (default: the first TOTP factor).",
    )

    def validate(self, attrs):
        if bool(attrs.get("code")) == bool(attrs.get("recovery_code")):
            raise serializers.ValidationError({"code": "Send either code or recovery_code."})
        return attrs


class OrganizationStepSerializer(StepSerializer):
    organization_id = serializers.CharField(max_length=64, help_text="One of the organizations the 403 offered.")


class EnrollmentSerializer(serializers.Serializer):
    factor_id = serializers.CharField()
    qr_code = serializers.CharField(help_text="A data: URI image to scan with an authenticator app. Shown once.")
    secret = serializers.CharField(help_text="The TOTP secret (Base32), for typing in instead. Shown once.")
    uri = serializers.CharField(help_text="The otpauth:// URI.")


class EmailSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class MagicCodeVerifySerializer(EmailSerializer):
    code = serializers.CharField(max_length=20)


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class PasswordResetConfirmSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=500, help_text="The `token` of the link in the reset email.")
    new_password = serializers.CharField(max_length=1024, trim_whitespace=False)


class DeviceStartSerializer(serializers.Serializer):
    device_code = serializers.CharField(help_text="What the CLI polls `/api/auth/device/token` with. Keep it secret.")
    user_code = serializers.CharField(help_text="What the person types on the verification page.")
    verification_uri = serializers.URLField()
    verification_uri_complete = serializers.URLField(
        required=False, help_text="The verification page with the code filled in (when WorkOS gives one)."
    )
    expires_in = serializers.IntegerField(help_text="Seconds the sign-in may take.")
    interval = serializers.IntegerField(help_text="Seconds to wait between polls.")


class DeviceTokenSerializer(serializers.Serializer):
    device_code = serializers.CharField(max_length=500)


class RecoveryCodesLeftSerializer(serializers.Serializer):
    remaining = serializers.IntegerField(help_text="Unused MFA recovery codes.")


class PasswordChangeSerializer(FlatSerializer):
    current_password = serializers.CharField(max_length=1000, trim_whitespace=False)
    new_password = serializers.CharField(max_length=1000, trim_whitespace=False)


class PasswordChangedSerializer(serializers.Serializer):
    ended = serializers.IntegerField(help_text="Sign-ins ended, this one included: sign in again.")


class RecoveryCodesSerializer(serializers.Serializer):
    recovery_codes = serializers.ListField(
        child=serializers.CharField(), help_text="Ten one-time codes, shown this once; they replace the old ones."
    )
