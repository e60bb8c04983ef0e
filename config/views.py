"""Project-level pages: home, health, and the error handlers that speak JSON under /api/."""

import sys

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.http import DATABASE_UNAVAILABLE, json_error


def _is_api(request):
    return request.path.startswith("/api/")


def home(request):
    return render(request, "home.html", {"examples_enabled": settings.GATEHOUSE_EXAMPLES_ENABLED})


@never_cache
@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means "not healthy", never a 500
        return JsonResponse({"status": "error", "database": "unreachable", "message": str(exc)[:200]}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def handler400(request, exception=None):
    if _is_api(request):
        return json_error(400, "bad_request", "The request could not be understood.")
    return render(
        request,
        "errors/error.html",
        {"title": "Bad request", "message": "The request could not be understood."},
        status=400,
    )


def handler403(request, exception=None):
    if _is_api(request):
        return json_error(403, "permission_denied", "You do not have permission to do this.")
    return render(
        request,
        "errors/error.html",
        {"title": "Not allowed", "message": "You do not have permission to see this page."},
        status=403,
    )


def handler404(request, exception=None):
    if _is_api(request):
        return json_error(404, "not_found", "There is nothing at this address.")
    return render(
        request,
        "errors/error.html",
        {"title": "Page not found", "message": "There is nothing at this address."},
        status=404,
    )


def handler500(request):
    # Django calls this while handling the exception: a database that went away (a restart, a
    # failover) is a 503 the client may retry, not a bug. Connections are health-checked and
    # reopened on the next request (CONN_HEALTH_CHECKS).
    if isinstance(sys.exc_info()[1], DatabaseError):
        response = (
            json_error(503, "database_unavailable", DATABASE_UNAVAILABLE)
            if _is_api(request)
            else render(
                request,
                "errors/error.html",
                {"title": "Briefly unavailable", "message": DATABASE_UNAVAILABLE},
                status=503,
            )
        )
        response["Retry-After"] = "5"
        return response
    if _is_api(request):
        return json_error(500, "server_error", "Something went wrong on our side. It has been logged.")
    return render(
        request,
        "errors/error.html",
        {"title": "Something went wrong", "message": "Something went wrong on our side. It has been logged."},
        status=500,
    )


def csrf_failure(request, reason=""):
    if _is_api(request):
        return json_error(
            403, "csrf_failed", "CSRF verification failed: send the csrftoken cookie's value in X-CSRFToken."
        )
    return render(
        request,
        "errors/error.html",
        {
            "title": "Form expired",
            "message": "The form was stale or came from another site. Go back, reload the page and try again.",
        },
        status=403,
    )


def favicon(request):
    """Browsers ask for /favicon.ico whatever a page links: send them to the icon."""
    from django.shortcuts import redirect
    from django.templatetags.static import static

    return redirect(static("gatehouse/favicon.svg"), permanent=True)
