"""Project-level pages: home, health, and the error handlers that speak JSON under /api/."""

import hmac
import ipaddress
import sys
import time

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts import ratelimit
from accounts.client import client_ip
from accounts.http import DATABASE_UNAVAILABLE, json_error, throttled_message
from accounts.models import AuthSession
from observability import metrics
from workos_integration.conf import app_settings as workos_settings


def _is_api(request):
    return request.path.startswith("/api/")


def home(request):
    return render(request, "home.html", {"examples_enabled": settings.GATEHOUSE_EXAMPLES_ENABLED})


@never_cache
@require_GET
def healthz(request):
    """Liveness: the process answers. No dependency is asked (readyz does that)."""
    return JsonResponse({"status": "ok"})


_migrated = []  # once every migration is applied, this process stops asking


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _cache():
    key = "gatehouse:readyz"
    cache.set(key, "1", 10)
    return "ok" if cache.get(key) == "1" else "not answering"


def _migrations():
    if not _migrated:
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            return "pending: run manage.py migrate"
        _migrated.append(True)
    return "ok"


_workos_seen = {"at": -60.0, "answer": ""}


def _workos():
    """WorkOS's reachability, asked at most every 30 s by this process: probes arrive often, and
    `/readyz` is unauthenticated, so a flood of them must not become a flood of calls to WorkOS."""
    if time.monotonic() - _workos_seen["at"] < 30:
        return _workos_seen["answer"]
    base = workos_settings.WORKOS_BASE_URL or "https://api.workos.com"
    try:
        requests.get(base.rstrip("/") + "/health", timeout=2)
        answer = "ok"
    except requests.RequestException:
        answer = "unreachable"
    _workos_seen.update(at=time.monotonic(), answer=answer)
    return answer


@never_cache
@require_GET
def readyz(request):
    """Readiness: the database answers, the shared cache answers, every migration is applied
    (503 naming what is not); WorkOS's reachability is reported but never makes this unready.
    Counted per address (`readiness_ip`, generous: a load balancer probes every few seconds), as
    each answer costs a database round trip."""
    limited = ratelimit.hit("readiness_ip", client_ip(request))
    if limited is not None:
        response = json_error(429, "throttled", throttled_message(limited))
        response["Retry-After"] = str(int(limited.wait) + 1)
        return response
    checks = {}
    for name, check in (("database", _database), ("cache", _cache), ("migrations", _migrations)):
        try:
            checks[name] = check()
        except Exception as exc:  # noqa: BLE001 -- any failure of a dependency is "not ready", never a 500
            checks[name] = f"unavailable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ready" if ready else "unready", **checks, "workos": _workos()}
    return JsonResponse(body, status=200 if ready else 503)


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


def _may_scrape(request):
    token = settings.METRICS_TOKEN
    given = request.META.get("HTTP_AUTHORIZATION", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode()):
        return True
    address = client_ip(request)
    if not (address and settings.METRICS_ALLOWED_IPS):
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in ipaddress.ip_network(allowed, strict=False) for allowed in settings.METRICS_ALLOWED_IPS)


@never_cache
@require_GET
def metrics_view(request):
    """Prometheus's scrape: only with METRICS_TOKEN as a bearer token or from METRICS_ALLOWED_IPS
    (404 to anyone else, and to everyone when neither is set)."""
    if not _may_scrape(request):
        return handler404(request)
    text, content_type = metrics.render(AuthSession.objects.filter(revoked_at__isnull=True).count())
    return HttpResponse(text, content_type=content_type)
