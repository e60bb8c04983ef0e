import fnmatch
import functools
import secrets

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.client import describe_device


def returning(model):
    """`RETURNING` and the model's columns, quoted: a hand-written UPDATE or DELETE that also
    reads the row (one query where a read and a write would be two; `returned()` turns the
    answer into instances)."""
    quote = connection.ops.quote_name
    return "RETURNING " + ", ".join(quote(f.column) for f in model._meta.concrete_fields)


@functools.cache
def _column_converters(model, vendor):
    """Per concrete field, the functions that turn a column's database value into the field's
    Python value (as a queryset applies them), worked out once per model."""
    del vendor  # part of the cache key only: converters differ between database backends
    columns = [field.get_col(model._meta.db_table) for field in model._meta.concrete_fields]
    return [
        (column, connection.ops.get_db_converters(column) + column.field.get_db_converters(connection))
        for column in columns
    ]


def returned(model, sql, params):
    """The rows of a statement ending in `returning(model)`, as `model` instances: what
    `model.objects.raw()` makes of them, without its per-call column introspection."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return []
    converters = _column_converters(model, connection.vendor)
    names = [field.attname for field in model._meta.concrete_fields]
    instances = []
    for row in rows:
        values = list(row)
        for i, (column, functions) in enumerate(converters):
            for convert in functions:
                values[i] = convert(values[i], column, connection)
        instances.append(model.from_db(connection.alias, names, values))
    return instances


def normalize_email(email):
    """The one spelling of an address we store and compare: trimmed and lower-cased."""
    return (email or "").strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email=normalize_email(email))

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)  # None -> unusable password
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Django owns this row; WorkOS, Google and Okta only prove who is signing in."""

    email = models.EmailField("email address", max_length=254, unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    workos_user_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    organization_id = models.CharField(
        "WorkOS organization id", max_length=64, blank=True, help_text="The organization the user last signed in with."
    )
    role = models.CharField(max_length=64, blank=True, help_text="Role slug from the WorkOS organization membership.")
    deprovisioned_reason = models.CharField(
        max_length=32,
        blank=True,
        help_text="Why the directory or WorkOS took this account's access away (empty: it did not).",
    )
    deprovisioned_at = models.DateTimeField(null=True, blank=True)
    deprovisioned_sources = models.JSONField(
        default=list,
        blank=True,
        help_text="Every trigger still holding this account's access away; access comes back when none is left.",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]
        ordering = ["email"]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email)

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)  # (a new password ends the user's sign-ins: accounts.sessions)

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self):
        return self.first_name or self.email


class Identity(models.Model):
    """Proof that (provider, subject) is this user: how Google, Okta and WorkOS people are found."""

    class Provider(models.TextChoices):
        WORKOS = "workos", "WorkOS"
        WORKOS_SSO = "workos_sso", "WorkOS SSO profile"
        GOOGLE = "google", "Google"
        OKTA = "okta", "Okta"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identities")
    provider = models.CharField(max_length=32, choices=Provider.choices)
    subject = models.CharField(max_length=255)
    email = models.EmailField("email at link time", max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="accounts_identity_provider_subject_unique"),
        ]
        verbose_name_plural = "identities"

    def __str__(self):
        return f"{self.get_provider_display()} {self.subject}"


class SignInMethod(models.TextChoices):
    """How a person signs in: what a sign-in used (AuthSession) and what a login rule requires."""

    AUTHKIT = "authkit", "WorkOS AuthKit"
    SSO = "sso", "WorkOS SSO"
    PASSWORD = "password", "Password"
    WORKOS_PASSWORD = "workos_password", "WorkOS password"
    MAGIC_CODE = "magic_code", "Email code"
    DEVICE = "device", "Device code (CLI)"
    GOOGLE = "google", "Google"
    OKTA = "okta", "Okta"


def _new_session_key():
    return secrets.token_urlsafe(18)


class AuthSession(models.Model):
    """One sign-in: the refresh tokens we hand out for it, and the WorkOS session behind it."""

    class Channel(models.TextChoices):
        API = "api", "App (tokens)"
        BROWSER = "browser", "Browser"

    id = models.CharField(primary_key=True, max_length=32, default=_new_session_key, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_sessions")
    method = models.CharField(max_length=16, choices=SignInMethod.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.API)
    workos_session_id = models.CharField(max_length=64, blank=True)
    # The WorkOS refresh token, encrypted (accounts.secretbox): our refresh rotates it so that a
    # session WorkOS has ended stops refreshing here too.
    workos_refresh_token = models.TextField(blank=True, editable=False)
    organization_id = models.CharField(max_length=64, blank=True)
    role = models.CharField(max_length=64, blank=True)
    permissions = models.JSONField(
        default=list, blank=True, help_text="The role's permission slugs, as WorkOS gave them at sign-in or refresh."
    )
    impersonator = models.JSONField(
        null=True, blank=True, help_text="{email, reason} of the support staff who signed in as this person (WorkOS)."
    )
    # Bumped when the sign-in moves to another organization: refresh tokens minted before no longer work.
    generation = models.PositiveIntegerField(default=0)
    user_agent = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    # Last sign of the person: a refresh (apps) or a request (browsers, written at most once a
    # minute). The idle timeout of the session policy counts from here.
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "sign-in"
        # Meta indexes, not db_index: on PostgreSQL a db_index CharField also gets a second
        # (LIKE) index, which no query here uses and every insert would maintain.
        indexes = [models.Index(fields=["workos_session_id"], name="authsession_workos_sid")]

    def __str__(self):
        return f"{self.user} via {self.get_method_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_active(self):
        return self.revoked_at is None

    @property
    def device(self):
        return describe_device(self.user_agent)


class SessionPolicy(models.Model):
    """How long the sign-ins of one WorkOS organization may last (accounts.session_limits).
    People outside any organization with a policy get the default (GATEHOUSE_SESSION_POLICY)."""

    class Fallback(models.TextChoices):
        REDIRECT = "redirect", "Sign in again through WorkOS (silently when the provider allows)"
        LOGOUT = "logout", "Sign out"

    organization_id = models.CharField("WorkOS organization id", max_length=64, unique=True, help_text="org_...")
    enabled = models.BooleanField(default=True, help_text="Off: sign-ins last as long as their refresh tokens.")
    idle_timeout_minutes = models.PositiveIntegerField(
        default=30, help_text="Sign-ins without activity for this long end."
    )
    absolute_lifetime_hours = models.PositiveIntegerField(
        default=8, help_text="No sign-in lasts longer, active or not."
    )
    warning_minutes = models.PositiveIntegerField(default=2, help_text="How long before an idle sign-out clients warn.")
    idle_tracking = models.BooleanField(default=True, help_text="Off: only the absolute lifetime applies.")
    sso_silent_renewal = models.BooleanField("silent renewal for SSO sign-ins", default=True)
    sso_fallback = models.CharField(
        "at the end of an SSO sign-in", max_length=8, choices=Fallback.choices, default=Fallback.REDIRECT
    )
    password_silent_renewal = models.BooleanField("silent renewal for password and code sign-ins", default=False)
    password_fallback = models.CharField(
        "at the end of a password or code sign-in", max_length=8, choices=Fallback.choices, default=Fallback.LOGOUT
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "session policies"
        ordering = ["organization_id"]

    def __str__(self):
        return f"Session policy of {self.organization_id}"

    # What an administrator may set (inclusive).
    LIMITS = {
        "idle_timeout_minutes": (5, 7 * 24 * 60),
        "absolute_lifetime_hours": (1, 90 * 24),
        "warning_minutes": (1, 60),
    }

    @classmethod
    def problems(cls, values):
        """What is wrong with these policy values, by field (empty when they are sound)."""
        errors = {}
        for name, (low, high) in cls.LIMITS.items():
            value = values.get(name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                errors[name] = f"Between {low} and {high}."
        for name in ("sso_fallback", "password_fallback"):
            if values.get(name) not in cls.Fallback.values:
                errors[name] = "redirect or logout."
        if not errors:
            if values["warning_minutes"] >= values["idle_timeout_minutes"]:
                errors["warning_minutes"] = "The warning must come before the idle timeout."
            if values["idle_timeout_minutes"] > values["absolute_lifetime_hours"] * 60:
                errors["idle_timeout_minutes"] = "The idle timeout cannot be longer than the absolute lifetime."
        return errors

    def clean(self):
        errors = self.problems(self.__dict__)
        if not (self.organization_id or "").startswith("org_"):
            errors["organization_id"] = "Enter a WorkOS organization id (org_...)."
        if errors:
            raise ValidationError(errors)


class SignInState(models.Model):
    """A sign-in in progress, kept in the database (not process memory) so any app instance can
    finish what another started; deleted when used. Three kinds, each with its own fields: the
    server-side half of an OAuth `state` (AUTHKIT, SSO: its PKCE verifier, redirect URI, where to
    go next), a pending step (PENDING) and a CLI's device code (DEVICE)."""

    class Flow(models.TextChoices):
        AUTHKIT = "authkit", "AuthKit"
        SSO = "sso", "SSO"
        PENDING = "pending", "AuthKit step (verification, MFA, organization)"
        DEVICE = "device", "Device authorization"

    id = models.CharField(primary_key=True, max_length=64)
    flow = models.CharField(max_length=16, choices=Flow.choices)
    code_verifier = models.CharField(max_length=128, blank=True)
    redirect_uri = models.CharField(max_length=2000)
    next_url = models.CharField(max_length=2000, blank=True)
    # A pending step (flow PENDING): which step WorkOS asks for, how the person was signing in,
    # their WorkOS user, email and organization hint, what the step offers (factors, organizations)
    # and an MFA enrollment or challenge in progress.
    step = models.CharField(max_length=40, blank=True)
    method = models.CharField(max_length=32, blank=True)
    workos_user_id = models.CharField(max_length=64, blank=True)
    email = models.CharField(max_length=254, blank=True)
    organization_hint = models.CharField(max_length=64, blank=True)
    factors = models.JSONField(default=list, blank=True)  # [{"id", "type"}]
    organizations = models.JSONField(default=list, blank=True)  # [{"id", "name"}]
    factor_id = models.CharField(max_length=64, blank=True)
    challenge_id = models.CharField(max_length=64, blank=True)
    # This sign-in set up an authenticator (at this step or an earlier one): it ends with recovery codes.
    mfa_enrolled = models.BooleanField(default=False)
    # WorkOS's pending authentication token (PENDING) or device code (DEVICE), sealed.
    secret = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # a device code's end
    # What parallel requests must not race on, each changed by one conditional UPDATE
    # (accounts.signin.state): a pending step's tries spent, an MFA enrollment's lease, and a
    # device code's pacing (its interval in seconds and the earliest next poll).
    attempts = models.PositiveSmallIntegerField(default=0)
    busy_until = models.DateTimeField(null=True, blank=True)
    interval = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    # SHA-256 of the secret kept in the starting browser's session ("" for API-started states).
    binding = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["binding"], name="signinstate_binding")]  # no LIKE twin (see AuthSession)

    def __str__(self):
        return f"{self.get_flow_display()} sign-in started {self.created_at:%Y-%m-%d %H:%M}"


class AuditEvent(models.Model):
    """Who did what, when, from where. Written through accounts.audit.record()."""

    class Kind(models.TextChoices):
        SIGN_IN_SUCCEEDED = "sign_in_succeeded", "Sign-in succeeded"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        ACCOUNT_PROVISIONED = "account_provisioned", "Account provisioned"
        IDENTITY_LINKED = "identity_linked", "Identity linked"
        IDENTITY_UNLINKED = "identity_unlinked", "Identity unlinked"
        LOGOUT = "logout", "Logout"
        PASSWORD_RESET = "password_reset", "Password reset"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_CHANGE_REFUSED = "password_change_refused", "Password change refused"
        SESSIONS_REVOKED = "sessions_revoked", "Sessions revoked"
        REFRESH_REUSE = "refresh_token_reuse", "Refresh token reuse detected"
        THROTTLED = "throttled", "Throttled attempt"
        SSO_CONNECTION_DELETED = "sso_connection_deleted", "SSO connection deleted"
        SSO_CONNECTION_CHANGED = "sso_connection_changed", "SSO connection changed"
        CONNECT_COMPLETED = "connect_completed", "Standalone Connect completed"
        CONNECT_FAILED = "connect_failed", "Standalone Connect failed"
        USER_DEPROVISIONED = "user_deprovisioned", "Access removed by the directory or WorkOS"
        USER_REACTIVATED = "user_reactivated", "Access restored by the directory or WorkOS"
        GROUPS_CHANGED = "groups_changed", "Groups brought in line with WorkOS"
        API_KEY_CREATED = "api_key_created", "Organization API key created"
        API_KEY_REVOKED = "api_key_revoked", "Organization API key revoked"
        RECOVERY_CODES_CREATED = "recovery_codes_created", "MFA recovery codes created"
        RECOVERY_CODE_USED = "recovery_code_used", "MFA recovery code used"
        RECOVERY_CODE_REFUSED = "recovery_code_refused", "MFA recovery code refused"
        MFA_RESET = "mfa_reset", "MFA reset by staff"
        ORGANIZATION_SWITCHED = "organization_switched", "Organization switched"
        MEMBER_ROLE_CHANGED = "member_role_changed", "Member's role changed"
        MEMBER_REMOVED = "member_removed", "Member removed"
        INVITATION_SENT = "invitation_sent", "Invitation sent"
        INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
        INVITATION_RESENT = "invitation_resent", "Invitation resent"
        IMPERSONATED_SIGN_IN = "impersonated_sign_in", "Impersonated sign-in (support staff)"
        PORTAL_LINK_CREATED = "portal_link_created", "Admin Portal link created"
        FORBIDDEN_WHILE_IMPERSONATING = "forbidden_while_impersonating", "Refused while impersonating"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events")
    email = models.CharField(max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    reason = models.CharField(max_length=64, blank=True, help_text="Stable code, e.g. the error code of a failure.")
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        # no LIKE twins (see AuthSession): an audit row is written on every sign-in
        indexes = [
            models.Index(fields=["kind"], name="auditevent_kind"),
            models.Index(fields=["email"], name="auditevent_email"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.email} {self.created_at:%Y-%m-%d %H:%M}"


class LoginRule(models.Model):
    """Which sign-in method people of an email domain must use (home-realm discovery).

    Rules are tried by ascending priority; the first whose pattern matches the email's domain
    decides. With no matching rule every method is allowed and provisioning follows the adapter.
    """

    priority = models.PositiveIntegerField(default=100, help_text="Lower runs first.")
    pattern = models.CharField(
        max_length=253, help_text="Email domain (acme.com), a wildcard (*.acme.com) or * for everyone."
    )
    method = models.CharField(max_length=16, choices=SignInMethod.choices)
    organization_id = models.CharField("WorkOS organization id", max_length=64, blank=True)
    connection_id = models.CharField("WorkOS connection id", max_length=64, blank=True)
    allow_signup = models.BooleanField("first sign-in may create an account", default=False)
    require_verified_email = models.BooleanField(default=True)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "id"]

    def __str__(self):
        return f"{self.pattern} -> {self.get_method_display()}"

    def clean(self):
        from django.core.exceptions import ValidationError

        self.pattern = (self.pattern or "").strip().lower().lstrip("@")
        errors = {}
        if not self.pattern or " " in self.pattern or "@" in self.pattern:
            errors["pattern"] = "Enter a domain such as acme.com, a wildcard such as *.acme.com, or *."
        if self.method == SignInMethod.SSO and not (self.organization_id or self.connection_id):
            errors["organization_id"] = "SSO needs an organization or a connection."
        if self.method != SignInMethod.SSO and (self.organization_id or self.connection_id):
            errors["method"] = "An organization or connection only applies to SSO."
        if self.organization_id and self.connection_id:
            errors["connection_id"] = "Give an organization or a connection, not both."
        if self.method in (SignInMethod.GOOGLE, SignInMethod.OKTA) and self.allow_signup:
            errors["allow_signup"] = "Google and Okta sign-in is for existing accounts only."
        if errors:
            raise ValidationError(errors)

    def matches(self, email):
        domain = email.rsplit("@", 1)[-1].lower()
        return self.pattern == "*" or fnmatch.fnmatchcase(domain, self.pattern)


class PasswordResetLink(models.Model):
    """A password reset Gatehouse asked WorkOS for, kept as a keyed hash of its token until it is
    used or expires: a link that is not one of these is refused before the form
    (GATEHOUSE_PASSWORD_RESET_LINKS, accounts.signin.authkit)."""

    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"Password reset link until {self.expires_at:%Y-%m-%d %H:%M}"


class RecoveryCode(models.Model):
    """A one-time MFA recovery code, kept only as a keyed hash (accounts.recovery)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "digest"], name="recoverycode_user_digest")]

    def __str__(self):
        return f"Recovery code of {self.user_id} ({'used' if self.used_at else 'unused'})"


class AuditDelivery(models.Model):
    """An audit event on its way to WorkOS Audit Logs (accounts.audit_stream): kept until WorkOS
    stored it, so a restart or an outage loses nothing; retried with growing pauses."""

    event = models.OneToOneField(AuditEvent, on_delete=models.CASCADE, related_name="delivery")
    organization_id = models.CharField(max_length=64)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["delivered_at", "next_attempt_at"], name="auditdelivery_pending")]

    def __str__(self):
        return f"{self.event_id} -> {self.organization_id} ({'delivered' if self.delivered_at else 'pending'})"
