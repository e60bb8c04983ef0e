"""The Login URI AuthKit sends browsers to, and an example API protected by Connect tokens."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import ErrorSerializer
from accounts.errors import GatehouseError
from accounts.http import error_page
from standalone_connect import service
from standalone_connect.authentication import ConnectTokenAuthentication
from standalone_connect.conf import app_settings as connect_settings

_FRIENDLY = {
    "external_auth_session_already_completed": "This sign-in link was already used. Go back to the application and start the sign-in again.",
    "email_not_available": "Your email address is already used by another account at our sign-in provider, so we could not finish signing you in to the application. Contact support.",
    "invalid_email": "Your account's email address was not accepted by our sign-in provider. Contact support.",
    "email_change_not_allowed": "Your email address changed and the sign-in provider does not allow that here. Contact support.",
    "user_consent_options_not_supported": "This application's permission choices are not supported. Contact support.",
}


@never_cache
@require_GET
def connect_login(request):
    try:
        external_auth_id = service.check_external_auth_id(request.GET.get("external_auth_id"))
    except GatehouseError as exc:
        return error_page(request, exc, title="This sign-in link does not work")
    if not request.user.is_authenticated:
        here = f"{request.path}?{urlencode({'external_auth_id': external_auth_id})}"
        return redirect(f"{reverse('web-login')}?{urlencode({'next': here})}")
    try:
        redirect_uri = service.complete(external_auth_id, request.user)
    except GatehouseError as exc:
        exc.message = _FRIENDLY.get(exc.code, exc.message)
        return error_page(request, exc, title="We could not finish signing you in")
    return redirect(redirect_uri)


class ConnectMeView(APIView):
    """What an application holding an AuthKit-issued Connect token may see: the user and the
    consent it was granted."""

    authentication_classes = [ConnectTokenAuthentication]
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(operation_id="connect_me", responses={200: OpenApiTypes.OBJECT, 401: ErrorSerializer}, summary="Protected resource for Connect (AuthKit OAuth) access tokens")
    def get(self, request):
        user, claims = request.user, request.auth
        consent = {k: v for k, v in claims.items() if ":" in k}
        return Response({"id": user.pk, "email": user.email, "client_id": claims.get("aud"), "consent": consent, "scope": claims.get("scope")})


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
