"""The same `me` response behind different authentication, for side-by-side measurement."""

from django.http import JsonResponse
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication, JWTStatelessUserAuthentication


def bare(request):
    return JsonResponse({"id": 1, "email": "bench@example.com", "first_name": "", "last_name": "", "organization_id": None, "role": None})


class _Me(APIView):
    def get(self, request):
        user = request.user
        return Response({"id": user.pk, "email": getattr(user, "email", ""), "first_name": "", "last_name": "", "organization_id": None, "role": None})


class SimpleJWTDefault(_Me):
    authentication_classes = [JWTAuthentication]


class SimpleJWTStateless(_Me):
    authentication_classes = [JWTStatelessUserAuthentication]


urlpatterns = [
    path("bench/bare", bare),
    path("bench/simplejwt", SimpleJWTDefault.as_view()),
    path("bench/simplejwt-stateless", SimpleJWTStateless.as_view()),
    path("", include("config.urls")),
]
