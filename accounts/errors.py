"""Failure kinds with stable codes. Services raise these; the API and the pages map them once.

A `GatehouseError` carries the HTTP status it should become, a stable snake_case `code` clients
can branch on, and a sentence a person can read. Subclasses exist where callers catch a family.
"""

# The one wording of a wrong email or password, wherever it is checked (ours, WorkOS's, the page).
INVALID_CREDENTIALS = "Email or password is incorrect."


class GatehouseError(Exception):
    status = 400
    code = "bad_request"
    message = "The request could not be processed."

    def __init__(self, message=None, *, code=None, status=None, detail=None, retry_after=None):
        self.message = message or self.message
        if code:
            self.code = code
        if status:
            self.status = status
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(self.message)

    def as_dict(self):
        body = {"code": self.code, "message": self.message}
        if self.detail is not None:
            body["detail"] = self.detail
        return body


class SignInRefused(GatehouseError):
    """The identity was proven but policy says no (inactive, unknown, domain not allowed...)."""

    status = 403
    code = "sign_in_refused"
    message = "This account may not sign in."


class InvalidSignInRequest(GatehouseError):
    """The client sent something we can't use (state, redirect_uri, code...)."""


class ProviderError(GatehouseError):
    """An identity provider (WorkOS, Google, Okta) refused the request or failed."""

    status = 400
    code = "provider_error"
    message = "The identity provider refused the request."


class ProviderUnavailable(ProviderError):
    status = 503
    code = "provider_unavailable"
    message = "The identity provider could not be reached. Try again in a moment."


class NotConfigured(GatehouseError):
    status = 404
    code = "not_configured"
    message = "This sign-in method is not configured on this server."


class TokenError(GatehouseError):
    status = 401
    code = "token_invalid"
    message = "The token is invalid or expired."
