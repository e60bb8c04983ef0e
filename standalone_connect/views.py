"""The Login URI AuthKit sends browsers to, and an example API protected by Connect tokens."""

import hmac
import secrets
import time
from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ErrorSerializer
from accounts.conf import app_settings as account_settings
from accounts.errors import GatehouseError
from accounts.http import error_page
from standalone_connect import service
from standalone_connect.authentication import ConnectTokenAuthentication
from standalone_connect.conf import app_settings as connect_settings

_FRIENDLY = {
    "external_auth_session_already_completed": (
        "This sign-in link was already used. Go back to the application and start the sign-in again."
    ),
    "email_not_available": (
        "Your email address is already used by another account at our sign-in provider, "
        "so we could not finish signing you in to the application. Contact support."
    ),
    "invalid_email": "Your account's email address was not accepted by our sign-in provider. Contact support.",
    "email_change_not_allowed": (
        "Your email address changed and the sign-in provider does not allow that here. Contact support."
    ),
    "user_consent_options_not_supported": "This application's permission choices are not supported. Contact support.",
}


# The Connect sign-in this browser started while signed out: `{nonce, external_auth_id, at}`.
# The nonce rides in the `next` URL of our sign-in page and comes back only to this browser, so
# "signed in within this flow" cannot be claimed by a link from another site.
_FLOW_KEY = "gatehouse_connect_flow"


def _started_here(request, external_auth_id):
    """Did this browser sign in within the Connect flow of `external_auth_id`? (Spends the mark.)"""
    flow = request.session.pop(_FLOW_KEY, None)
    if not isinstance(flow, dict) or flow.get("external_auth_id") != external_auth_id:
        return False
    if time.time() - flow.get("at", 0) > account_settings.GATEHOUSE_SIGNIN_STATE_MAX_AGE:
        return False
    return hmac.compare_digest(str(flow.get("nonce", "")), request.GET.get("flow", ""))


def _sign_in_first(request, external_auth_id):
    nonce = secrets.token_urlsafe(16)
    request.session[_FLOW_KEY] = {"nonce": nonce, "external_auth_id": external_auth_id, "at": time.time()}
    here = f"{request.path}?{urlencode({'external_auth_id': external_auth_id, 'flow': nonce})}"
    return redirect(f"{reverse('web-login')}?{urlencode({'next': here})}")


def _complete(request, external_auth_id):
    try:
        redirect_uri = service.complete(external_auth_id, request.user)
    except GatehouseError as exc:
        exc.message = _FRIENDLY.get(exc.code, exc.message)
        return error_page(request, exc, title="We could not finish signing you in")
    return redirect(redirect_uri)


@never_cache
@require_http_methods(["GET", "POST"])
def connect_login(request):
    """AuthKit's Login URI. A person who signs in here within the flow goes straight on; a
    browser that was already signed in confirms first (a POST with Django's CSRF token), or any
    site could send a signed-in browser here with its own client's external_auth_id and receive
    a code for that person (login CSRF)."""
    values = request.POST if request.method == "POST" else request.GET
    try:
        external_auth_id = service.check_external_auth_id(values.get("external_auth_id"))
    except GatehouseError as exc:
        return error_page(request, exc, title="This sign-in link does not work")
    if not request.user.is_authenticated:
        return _sign_in_first(request, external_auth_id)
    if request.method == "POST" or _started_here(request, external_auth_id):
        return _complete(request, external_auth_id)
    return render(request, "connect/confirm.html", {"external_auth_id": external_auth_id, "email": request.user.email})


class ConnectMeView(APIView):
    """What an application holding an AuthKit-issued Connect token may see: the user and the
    consent it was granted."""

    authentication_classes = [ConnectTokenAuthentication]
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="connect_me",
        responses={200: OpenApiTypes.OBJECT, 401: ErrorSerializer},
        summary="Protected resource for Connect (AuthKit OAuth) access tokens",
    )
    def get(self, request):
        user, claims = request.user, request.auth
        consent = {k: v for k, v in claims.items() if ":" in k}
        return Response(
            {
                "id": user.pk,
                "email": user.email,
                "client_id": claims.get("aud"),
                "consent": consent,
                "scope": claims.get("scope"),
            }
        )


@require_GET
def protected_resource_metadata(request):
    from django.http import JsonResponse

    return JsonResponse(
        {
            "resource": request.build_absolute_uri("/api/connect/"),
            "authorization_servers": [connect_settings.CONNECT_ISSUER] if connect_settings.CONNECT_ISSUER else [],
            "bearer_methods_supported": ["header"],
        }
    )
