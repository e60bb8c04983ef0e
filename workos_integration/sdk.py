"""The few names of the WorkOS SDK (10.x) that Gatehouse needs and the SDK does not export.

Everything else comes from `workos` itself. These live in the SDK's private modules, so a minor
release may move them: this module is the one place to look when it does (the SDK is pinned in
pyproject.toml, and the tests exercise every name below against the emulator).
"""

from workos._errors import (  # noqa: F401  (re-exported)
    APIError,  # base of the SDK's HTTP status errors (BadRequestError, ServerError, ...)
    AuthenticationFlowError,  # a 403 with a pending authentication token: a step is left
    EmailVerificationRequiredError,
    MfaChallengeError,
    MfaEnrollmentError,
    OrganizationSelectionRequiredError,
    WorkOSConnectionError,  # what the SDK raises when WorkOS cannot be reached
    WorkOSTimeoutError,
)
from workos._http import HttpxBackend  # noqa: F401  (the SDK's transport, which we subclass)
