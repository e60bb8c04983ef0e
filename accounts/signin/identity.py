"""What a way of signing in proves (`Identity`) or what it still needs (`Pending`): plain data,
no I/O. Providers make them; `accounts.signin.flow` consumes them."""

from dataclasses import dataclass
from typing import Any

from accounts.errors import GatehouseError
from accounts.models import normalize_email


@dataclass
class Identity:
    """Who signed in, as their provider proved it, and what the sign-in carries with it."""

    provider: str  # an accounts.models.Identity.Provider value ("" for a Django-held password)
    subject: str
    email: str
    email_verified: bool
    method: str = ""  # a SignInMethod value: how the person signed in
    first_name: str = ""
    last_name: str = ""
    workos_user_id: str = ""
    organization_id: str = ""  # as the provider says
    role: str = ""
    permissions: tuple[str, ...] = ()  # what that role may do (WorkOS's `permissions` claim)
    connection_id: str = ""
    # A brand-new person's organization wish (the request's hint): flow admits it or refuses.
    organization_hint: str = ""
    workos_session_id: str = ""  # the WorkOS session this sign-in opened: revoked if we refuse
    workos_refresh_token: str = ""
    next_url: str = ""  # where a browser sign-in was going
    may_create: bool = True  # False: existing users only (Google, Okta)
    impersonator: dict | None = None  # {email, reason}: support staff signed in as this person (WorkOS)
    mfa_enrolled: bool = False  # an authenticator was set up during this sign-in: recovery codes follow
    user: Any = None  # the Django user a local password proved directly

    def __post_init__(self) -> None:
        self.email = normalize_email(self.email)
        self.first_name = (self.first_name or "")[:150]
        self.last_name = (self.last_name or "")[:150]


class StepRequired(GatehouseError):
    """The sign-in is not finished: `code` names the step, `detail` carries `pending_token`."""

    status = 403


@dataclass
class Pending:
    """A sign-in paused at a step: `detail` is what the client needs (never WorkOS's token)."""

    step: str
    message: str
    detail: dict

    @property
    def handle(self) -> str:
        return self.detail["pending_token"]

    def error(self) -> StepRequired:
        return StepRequired(self.message, code=self.step, detail=self.detail)
