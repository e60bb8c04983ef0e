"""HTTP helpers every app's views share: a safe `next`, error pages, JSON errors.

Views in `accounts`, `sso` and `standalone_connect` import these from here (never from each
other's view modules).
"""

import functools
from urllib.parse import unquote

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from accounts import audit, ratelimit
from accounts.client import client_ip
from accounts.models import AuditEvent


def safe_next(request, candidate):
    """`candidate` if it is a same-site path; otherwise the default landing page."""
    if candidate and isinstance(candidate, str):
        candidate = candidate.strip()
        decoded = unquote(candidate)  # judge the encoded and the decoded spelling alike
        if (
            all(
                form.startswith("/") and not form.startswith("//") and "\\" not in form for form in (candidate, decoded)
            )
            and not any(ord(ch) < 32 for ch in decoded)
            and url_has_allowed_host_and_scheme(
                candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            )
        ):
            return candidate
    return settings.LOGIN_REDIRECT_URL


# What a person reads on a page for the failures links and round trips produce; the API keeps
# the precise message (and every page shows the code).
_PLAIN = {
    "state_missing": "This sign-in link is incomplete. Start again from the sign-in page.",
    "state_invalid": "This sign-in link has expired or was already used.",
    "state_expired": "This sign-in link has expired or was already used.",
    "state_already_used": "This sign-in link has expired or was already used.",
    "state_mismatch": "This sign-in was started in another browser or tab. Start again from the sign-in page.",
    "external_auth_id_missing": "This sign-in link is incomplete. Go back to the application and try again.",
    "external_auth_id_invalid": "This sign-in link has expired or was already used.",
    "pending_token_missing": "There is no sign-in to finish here. Start from the sign-in page.",
    "pending_token_invalid": "This sign-in has expired or was already finished.",
    "pending_token_expired": "This sign-in has expired or was already finished.",
    "pending_token_mismatch": "This sign-in was started in another browser. Start again from the sign-in page.",
}


def error_page(request, exc, status=None, title="Sign-in did not work"):
    return render(
        request,
        "errors/error.html",
        {"title": title, "message": _PLAIN.get(exc.code, exc.message), "code": exc.code},
        status=status or (exc.status if exc.status < 500 else 502 if exc.status == 502 else 503),
    )


def throttled_message(limited):
    seconds = int(limited.wait) + 1
    return f"Too many attempts. Try again in {seconds} second{'s' if seconds != 1 else ''}."


def throttled_page(request, limited, *, template="errors/error.html", context=None):
    """The page for a refused attempt: says when to try again, with a Retry-After header."""
    if limited.first:
        audit.record(
            AuditEvent.Kind.THROTTLED, email=(context or {}).get("email", ""), request=request, reason=limited.scope
        )
    context = {"title": "Too many attempts", "code": "throttled", **(context or {})}
    context["error" if template != "errors/error.html" else "message"] = throttled_message(limited)
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(int(limited.wait) + 1)
    return response


def rate_limited(scope):
    """A browser view counted per client IP under `scope`; over the rate, the throttled page."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            limited = ratelimit.hit(scope, client_ip(request))
            if limited is not None:
                return throttled_page(request, limited)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


DATABASE_UNAVAILABLE = "The service is briefly unavailable (its database did not answer). Nothing was saved: try again."


def json_error(status_code, code, message):
    """The API's error shape, for responses made outside DRF (Django's error handlers)."""
    return JsonResponse({"code": code, "message": message}, status=status_code)
