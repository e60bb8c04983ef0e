"""The same `me` response behind different authentication, for side-by-side measurement.

The comparison views sit right after /api/auth/me (the app's first pattern), so that every view
measured is found by URL resolution at the same cost: the benchmark compares authentication and
views, not places in the URL list."""

from django.http import JsonResponse
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication, JWTStatelessUserAuthentication

from accounts.authentication import AccessTokenAuthentication
from config.urls import urlpatterns as app_patterns


def bare(request):
    return JsonResponse(
        {
            "id": 1,
            "email": "bench@example.com",
            "first_name": "",
            "last_name": "",
            "organization_id": None,
            "role": None,
        }
    )


class _Me(APIView):
    def get(self, request):
        user = request.user
        return Response(
            {
                "id": user.pk,
                "email": getattr(user, "email", ""),
                "first_name": "",
                "last_name": "",
                "organization_id": None,
                "role": None,
            }
        )


class SimpleJWTDefault(_Me):
    authentication_classes = [JWTAuthentication]


class SimpleJWTStateless(_Me):
    authentication_classes = [JWTStatelessUserAuthentication]


class GatehouseThroughDRF(_Me):
    """Gatehouse's authentication inside DRF's full request cycle (what /api/auth/me skips on GET)."""

    authentication_classes = [AccessTokenAuthentication]


urlpatterns = [
    app_patterns[0],  # /api/auth/me
    path("bench/bare", bare),
    path("bench/simplejwt-stateless", SimpleJWTStateless.as_view()),
    path("bench/gatehouse-drf", GatehouseThroughDRF.as_view()),
    path("bench/simplejwt", SimpleJWTDefault.as_view()),
    *app_patterns[1:],
]
assert str(app_patterns[0].pattern) == "api/auth/me"
