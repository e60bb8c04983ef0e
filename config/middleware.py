"""Project middleware: where a request starts and ends (for workos_integration.waiting), the
request id of every response, and Content-Security-Policy headers built once per process instead
of once per response."""

import functools
import re
import uuid

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed

from accounts.client import behind_trusted_proxy
from config.logging import REQUEST_ID
from workos_integration import waiting

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class WorkOSWaitingMiddleware:
    """The outermost middleware: a request that waited on WorkOS finishes through the gate of
    workos_integration.waiting, and leaves it here at the latest."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        waiting.request_started()
        try:
            return self.get_response(request)
        finally:
            waiting.request_finished()

    def process_view(self, request, view_func, view_args, view_kwargs):
        waiting.view_starts(view_func)


class RequestIDMiddleware:
    """Every request gets an id (a trusted proxy's `X-Request-ID`, else a new one): in the
    response's `X-Request-ID` and in every log line written while it is served."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = given if given and _REQUEST_ID.match(given) and behind_trusted_proxy(request) else uuid.uuid4().hex
        request.request_id = request_id
        token = REQUEST_ID.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            REQUEST_ID.reset(token)
        response["X-Request-ID"] = request_id
        return response


# a response or request carrying any of these needs its own policy: django-csp builds it
_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)


@functools.cache
def _static_headers():
    """The headers every response gets, or None when the policy varies by URL prefix."""
    policies = (
        getattr(settings, "CONTENT_SECURITY_POLICY", None) or {},
        getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) or {},
    )
    if any(policy.get("EXCLUDE_URL_PREFIXES") for policy in policies):
        return None
    built = {HEADER: build_policy(), HEADER_REPORT_ONLY: build_policy(report_only=True)}
    return {name: value for name, value in built.items() if value}


def _forget(**kwargs):
    _static_headers.cache_clear()


setting_changed.connect(_forget)


class StaticCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with the policy (the same for every response here: no nonces, no
    per-view policies) built once. Anything per-response falls back to django-csp itself."""

    def process_response(self, request, response):
        headers = _static_headers()
        if (
            headers is None
            or settings.DEBUG
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _PER_RESPONSE)
        ):
            return super().process_response(request, response)
        for name, value in headers.items():
            if name not in response:
                response[name] = value
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
