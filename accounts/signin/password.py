"""Email + password, for the API and the sign-in page alike: checked by WorkOS where the email's
login rule (else GATEHOUSE_PASSWORD_BACKEND) says so, else against the Django user's password
(`either`: ours first, then WorkOS's, for a deployment holding both kinds).

A wrong password and an unknown email answer alike (`invalid_credentials`, after the same
hashing work); the caller records a refusal with accounts.signin.flow.sign_in_failed, which
audits it and sends `user_login_failed` once."""

from django.contrib.auth.hashers import make_password

from accounts import login_rules
from accounts.errors import INVALID_CREDENTIALS, GatehouseError, SignInRefused
from accounts.models import SignInMethod, User, normalize_email
from accounts.signin import authkit
from accounts.signin.identity import Identity


def authenticate(email, password, *, request, browser=None, next_url=""):
    """The Identity the password proves (or, checked by WorkOS, a Pending step)."""
    email = normalize_email(email)
    if authkit.password_backend(email) == "workos":
        return authkit.password_sign_in(email, password, request=request, browser=browser, next_url=next_url)
    login_rules.check_method(email, SignInMethod.PASSWORD)  # by domain: reveals no account
    user = User.objects.filter(email=email).first()
    if user is None or not user.has_usable_password():
        make_password(password)  # same work as a real check: no timing tell for unknown emails
        user = None
    elif not user.check_password(password):
        user = None
    if user is None:
        if authkit.password_backend(email) == "either":  # not ours: perhaps a password WorkOS holds
            return authkit.password_sign_in(email, password, request=request, browser=browser, next_url=next_url)
        raise GatehouseError(INVALID_CREDENTIALS, code="invalid_credentials", status=401)
    if not user.is_active:
        raise SignInRefused("This account is disabled. Contact your administrator.", code="user_inactive")
    return Identity(
        provider="",
        subject=str(user.pk),
        email=user.email,
        email_verified=False,
        method=SignInMethod.PASSWORD,
        next_url=next_url,
        user=user,
    )
