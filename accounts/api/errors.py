"""The one place where exceptions become the API's JSON error shape.

Every error body is `{"code": "<stable_snake_case>", "message": "<sentence>"}`, with `detail`
holding per-field messages for validation errors.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from accounts.errors import GatehouseError
from accounts.http import DATABASE_UNAVAILABLE

log = logging.getLogger(__name__)

_DEFAULT_CODES = {
    status.HTTP_400_BAD_REQUEST: "invalid_request",
    status.HTTP_401_UNAUTHORIZED: "not_authenticated",
    status.HTTP_403_FORBIDDEN: "permission_denied",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_406_NOT_ACCEPTABLE: "not_acceptable",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


def _flatten(detail):
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def _response(status_code, body, headers=None):
    response = Response(body, status=status_code)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def exception_handler(exc, context):
    if isinstance(exc, GatehouseError):
        set_rollback()
        headers = {"Retry-After": str(int(exc.retry_after))} if exc.retry_after else {}
        return _response(exc.status, exc.as_dict(), headers)
    if isinstance(exc, DatabaseError):  # the database went away: retryable, and the transaction is rolled back
        set_rollback()
        log.warning("Database unavailable: %s: %s", type(exc).__name__, exc)
        body = {"code": "database_unavailable", "message": DATABASE_UNAVAILABLE}
        return _response(503, body, {"Retry-After": "5"})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handler answers (in JSON on /api/) and logs it

    set_rollback()
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait) + 1)

    if isinstance(exc, exceptions.ValidationError):
        return _response(
            exc.status_code,
            {
                "code": "validation_error",
                "message": "Some fields are missing or invalid.",
                "detail": _flatten(exc.detail),
            },
            headers,
        )
    detail = exc.detail
    code = getattr(exc, "default_code", None)
    if isinstance(detail, dict):  # simplejwt's errors carry {"detail", "code", "messages"}
        code = str(detail.get("code") or code)
        message = str(detail.get("detail") or exc.default_detail)
    else:
        code = getattr(detail, "code", None) or code
        message = str(detail)
    if code in (None, "error", "invalid"):
        code = _DEFAULT_CODES.get(exc.status_code, "error")
    if exc.status_code == 429:
        code = "throttled"
    return _response(exc.status_code, {"code": str(code), "message": message}, headers)
