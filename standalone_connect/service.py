"""Standalone Connect completion: tell AuthKit who signed in, get back where to send the browser.

The external_auth_id is single-use, so nothing here retries: every attempt is recorded and a
failure becomes a page, never a second call.
"""

import logging
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.module_loading import import_string
from workos.connect.models import UserConsentOption, UserConsentOptionChoice, UserObject

from accounts import audit
from accounts.errors import GatehouseError, InvalidSignInRequest, ProviderUnavailable
from accounts.models import AuditEvent
from standalone_connect.conf import app_settings as connect_settings
from standalone_connect.models import ConnectAttempt
from workos_integration import client as workos_client

log = logging.getLogger(__name__)
EXTERNAL_AUTH_ID = re.compile(r"^[A-Za-z0-9_\-]{8,128}$")


def check_external_auth_id(value):
    if not value:
        raise InvalidSignInRequest("The sign-in link is missing its external_auth_id.", code="external_auth_id_missing")
    if not isinstance(value, str) or not EXTERNAL_AUTH_ID.match(value):
        raise InvalidSignInRequest("The sign-in link's external_auth_id is malformed.", code="external_auth_id_invalid")
    return value


def consent_options(user):
    return import_string(connect_settings.CONNECT_CONSENT_OPTIONS)(user)


def user_metadata(user):
    return import_string(connect_settings.CONNECT_USER_METADATA)(user)


def _is_grouped(options):
    return any("group" in choice for option in options or [] for choice in option.get("choices", []))


def _complete(external_auth_id, user):
    options = consent_options(user)
    user_body = {"id": str(user.pk), "email": user.email}
    if user.first_name:
        user_body["first_name"] = user.first_name
    if user.last_name:
        user_body["last_name"] = user.last_name
    metadata = user_metadata(user)
    if metadata:
        user_body["metadata"] = {str(k): str(v) for k, v in metadata.items()}
    wos = workos_client.one_shot_client()
    if _is_grouped(options):
        # The SDK's typed consent model has no groups: send the documented JSON shape directly.
        body = {"external_auth_id": external_auth_id, "user": user_body, "user_consent_options": options}
        result = workos_client.call(
            "complete the Connect sign-in", wos.request_raw, "post", ("authkit", "oauth2", "complete"), body=body
        )
        redirect_uri = result.get("redirect_uri") if isinstance(result, dict) else None
    else:
        typed = None
        if options:
            typed = [
                UserConsentOption(
                    claim=o["claim"],
                    type=o.get("type", "enum"),
                    label=o["label"],
                    choices=[UserConsentOptionChoice(value=c["value"], label=c["label"]) for c in o["choices"]],
                )
                for o in options
            ]
        result = workos_client.call(
            "complete the Connect sign-in",
            wos.connect.complete_oauth2,
            external_auth_id=external_auth_id,
            user=UserObject(
                id=user_body["id"],
                email=user.email,
                first_name=user_body.get("first_name"),
                last_name=user_body.get("last_name"),
                metadata=user_body.get("metadata"),
            ),
            user_consent_options=typed,
        )
        redirect_uri = result.redirect_uri
    parts = urlsplit(redirect_uri or "")
    if (
        parts.scheme not in ("https", "http")
        or not parts.netloc
        or (parts.scheme == "http" and not settings.DEBUG and parts.hostname not in ("127.0.0.1", "localhost"))
    ):
        raise ProviderUnavailable(
            "WorkOS answered without a usable redirect_uri.", code="workos_bad_response", status=502
        )
    return redirect_uri


def complete(external_auth_id, user):
    """Complete once; record the attempt; return the redirect_uri or raise a GatehouseError."""
    try:
        redirect_uri = _complete(external_auth_id, user)
    except GatehouseError as exc:
        ConnectAttempt.objects.create(
            user=user,
            external_auth_id=external_auth_id,
            outcome="failed",
            error_code=exc.code[:64],
            message=exc.message[:500],
        )
        audit.record(AuditEvent.Kind.CONNECT_FAILED, user=user, reason=exc.code)
        raise
    ConnectAttempt.objects.create(user=user, external_auth_id=external_auth_id, outcome="completed")
    audit.record(AuditEvent.Kind.CONNECT_COMPLETED, user=user)
    return redirect_uri
