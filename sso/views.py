"""SSO sign-in by work email (home-realm discovery), the SPA variant, and the organization of a sign-in."""

from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import ratelimit
from accounts.api import style
from accounts.api.base import PublicAPIView
from accounts.api.serializers import AuthorizeResponseSerializer, ErrorSerializer, SSOAuthorizeQuerySerializer
from accounts.api.throttles import AuthorizeIPThrottle
from accounts.client import client_ip
from accounts.errors import GatehouseError, InvalidSignInRequest
from accounts.http import error_page, safe_next, throttled_page
from accounts.signin import workos
from sso.models import Connection, Organization


def organization_for_email(email):
    domain = (email or "").rsplit("@", 1)[-1].strip().lower()
    if not domain or "@" not in (email or "") or not email.isprintable():
        raise InvalidSignInRequest("Enter your work email address.", code="invalid_email")
    org = Organization.objects.filter(domain_rows__domain=domain).first()
    if org is None:
        raise InvalidSignInRequest(
            "Single sign-on is not set up for this email domain.", code="sso_not_available", status=404
        )
    return org


_NOT_AVAILABLE = "Single sign-on is not available for your organization right now. Ask your administrator."


def _check_available(*, organization_id="", connection_id=""):
    """Refuse, before sending anyone to WorkOS, an SSO target the mirror knows cannot work: an
    organization none of whose connections is active, or a connection that is not active."""
    if connection_id:
        state = Connection.objects.filter(workos_id=connection_id).values_list("state", flat=True).first()
        if state is not None and state != "active":
            raise InvalidSignInRequest(_NOT_AVAILABLE, code="sso_not_available", status=404)
    elif (
        Organization.objects.filter(workos_id=organization_id).exists()
        and not Connection.objects.filter(organization_workos_id=organization_id, state="active").exists()
    ):
        raise InvalidSignInRequest(_NOT_AVAILABLE, code="sso_not_available", status=404)


def _sso_url(*, email="", organization_id="", connection_id="", redirect_uri="", next_url="", browser=None):
    if not organization_id and not connection_id:
        organization_id = organization_for_email(email).workos_id
    _check_available(organization_id=organization_id, connection_id=connection_id)
    return workos.authorization_url(
        flow="sso",
        redirect_uri=redirect_uri,
        next_url=next_url,
        organization_id=organization_id,
        connection_id=connection_id,
        login_hint=email,
        browser=browser,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def sso_sign_in(request):
    source = request.POST if request.method == "POST" else request.GET
    next_url = safe_next(request, source.get("next"))
    email = (source.get("email") or "").strip()[:254]
    organization_id = (source.get("organization_id") or "")[:64]
    connection_id = (source.get("connection_id") or "")[:64]
    if request.method == "GET" and not (organization_id or connection_id):
        return render(request, "sso/sign_in.html", {"next": next_url})
    limited = ratelimit.hit("authorize_ip", client_ip(request))
    if limited is not None:
        return throttled_page(request, limited, template="sso/sign_in.html", context={"next": next_url, "email": email})
    try:
        url, _state = _sso_url(
            email=email,
            organization_id=organization_id,
            connection_id=connection_id,
            next_url=next_url,
            browser=request,
        )
    except InvalidSignInRequest as exc:
        return render(
            request,
            "sso/sign_in.html",
            {"next": next_url, "email": email, "error": exc.message},
            status=400 if exc.status == 400 else 404,
        )
    except GatehouseError as exc:
        return error_page(request, exc, title="Single sign-on could not start")
    return redirect(url)


class SSOAuthorizeView(PublicAPIView):
    throttle_classes = [AuthorizeIPThrottle]

    @extend_schema(
        operation_id="sso_authorize",
        parameters=[SSOAuthorizeQuerySerializer],
        responses={
            200: AuthorizeResponseSerializer,
            400: ErrorSerializer,
            404: OpenApiResponse(ErrorSerializer, description="No SSO for this domain"),
            503: ErrorSerializer,
        },
        summary="SSO URL for a work email (or an organization/connection id)",
    )
    def get(self, request):
        query = SSOAuthorizeQuerySerializer(data=style.query(request))
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if not any(data.get(k) for k in ("email", "organization_id", "connection_id")):
            raise InvalidSignInRequest(
                "Give an email, an organization_id or a connection_id.", code="sso_target_missing"
            )
        url, state = _sso_url(**data)
        return Response(style.present({"authorization_url": url, "state": state}))


class OrganizationSerializer(serializers.Serializer):
    id = serializers.CharField(allow_null=True, help_text="The WorkOS organization of this sign-in, if any.")
    name = serializers.CharField(allow_null=True, help_text="Its name, from the mirror (null when not mirrored yet).")
    domains = serializers.ListField(child=serializers.CharField(), help_text="Its verified email domains.")


class MyOrganizationView(APIView):
    """The organization of the signed-in person's sign-in, by name (not on the /me hot path)."""

    @extend_schema(
        operation_id="my_organization",
        responses={200: OrganizationSerializer, 401: ErrorSerializer},
        summary="The organization of this sign-in",
    )
    def get(self, request):
        org_id = request.user.organization_id
        org = Organization.objects.filter(workos_id=org_id).values("name", "domains").first() if org_id else None
        return Response(
            {"id": org_id or None, "name": org["name"] if org else None, "domains": org["domains"] if org else []}
        )
