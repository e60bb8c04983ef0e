"""Login rules: which method an email domain must use, and whether a first sign-in may create
an account. Used by the sign-in page (routing), the unified callback, password and Google/Okta
sign-in, and the admin login, so that every door applies the same rule.
"""

from accounts.errors import SignInRefused
from accounts.models import LoginRule, SignInMethod, normalize_email
from accounts.rowcache import cached_table

# Rules change rarely and are read on every sign-in.
_rules = cached_table(LoginRule, "gatehouse:login-rules", lambda: list(LoginRule.objects.filter(enabled=True)))


def rule_for(email):
    email = normalize_email(email)
    if "@" not in email:
        return None
    return next((rule for rule in _rules() if rule.matches(email)), None)


# A rule's method admits itself; "WorkOS AuthKit" admits every way of signing in to WorkOS's user
# management (its hosted pages, a WorkOS-held password, an emailed code, a CLI's device code).
_ADMITS = {
    SignInMethod.AUTHKIT: {
        SignInMethod.AUTHKIT,
        SignInMethod.WORKOS_PASSWORD,
        SignInMethod.MAGIC_CODE,
        SignInMethod.DEVICE,
    },
}


def admits(rule, method):
    """Does this rule (None: no rule) let people sign in with `method`?"""
    return rule is None or method in _ADMITS.get(rule.method, {rule.method})


def check_method(email, method, *, organization_id="", connection_id=""):
    """Refuse a sign-in whose method (or SSO organization) the matching rule does not allow."""
    rule = rule_for(email)
    if rule is None:
        return None
    if not admits(rule, method):
        raise SignInRefused(
            f"People from this email domain sign in with {rule.get_method_display()}.",
            code="method_not_allowed",
            detail={"required_method": rule.method},
        )
    if rule.method == SignInMethod.SSO:
        if rule.organization_id and organization_id and rule.organization_id != organization_id:
            raise SignInRefused(
                "This sign-in came from another organization than your domain's.", code="organization_not_allowed"
            )
        if rule.connection_id and connection_id and rule.connection_id != connection_id:
            raise SignInRefused(
                "This sign-in came from another connection than your domain's.", code="connection_not_allowed"
            )
    return rule


def check_switch(email, method, organization_id):
    """Refuse moving a sign-in made with `method` into `organization_id` when a rule says that
    organization's people sign in with SSO (the answer names the step: sign in through SSO), or
    when the person's own domain rule ties them to another organization."""
    check_method(email, method, organization_id=organization_id)
    if method != SignInMethod.SSO and any(
        rule.organization_id == organization_id and rule.method == SignInMethod.SSO for rule in _rules()
    ):
        raise SignInRefused(
            "This organization requires single sign-on: sign in to it through SSO.",
            code="sso_required",
            detail={"organization_id": organization_id, "required_method": SignInMethod.SSO},
        )


def check_signup(rule, identity):
    """With a matching rule, the rule decides whether a first sign-in creates an account."""
    if rule is None:
        return None
    if rule.require_verified_email and not identity.email_verified:
        raise SignInRefused("Your email address must be verified first.", code="email_not_verified")
    return rule.allow_signup
