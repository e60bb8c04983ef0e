"""The JSON API of an organization's API keys: its admins manage them; a key asks who it is."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import memberships, sessions, tokens
from accounts.api import style
from accounts.api.base import errors, signed_in
from accounts.api.permissions import SignInActive
from accounts.api.serializers import ErrorSerializer, TokenPairResponseSerializer
from accounts.errors import GatehouseError
from accounts.models import AuthSession
from accounts.signin import flow
from organizations import api_keys
from organizations.authentication import OrganizationAPIKeyAuthentication
from organizations.permissions import IsOrganizationAdmin, permissions_of
from organizations.throttles import OrganizationThrottle


class APIKeySerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    organization_id = serializers.CharField()
    permissions = serializers.ListField(child=serializers.CharField())
    obfuscated_value = serializers.CharField(help_text="Enough of the key to recognise it (`sk_...abcd`).")
    created_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)


class NewAPIKeySerializer(APIKeySerializer):
    value = serializers.CharField(help_text="The secret key. Shown in this answer only: store it now.")


class CreateAPIKeySerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="What the key is for, e.g. `billing export (prod)`.")
    permissions = serializers.ListField(
        child=serializers.RegexField(r"^[A-Za-z0-9_.:\-*]{1,100}$"),
        required=False,
        default=list,
        max_length=50,
        help_text="Permission slugs for the key: only ones your own role has.",
    )


class KeyInUseSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    organization_id = serializers.CharField()
    permissions = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField(allow_null=True)


class MyOrganizationSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    role = serializers.CharField(allow_blank=True, help_text="My role there.")
    current = serializers.BooleanField(help_text="The organization of this sign-in.")


class SwitchSerializer(serializers.Serializer):
    organization_id = serializers.CharField(max_length=64)


class _SignedInView(APIView):
    permission_classes = [SignInActive]
    throttle_classes = [OrganizationThrottle]


class MyOrganizationsView(_SignedInView):
    @extend_schema(
        operation_id="my_organizations",
        responses={200: MyOrganizationSerializer(many=True), **errors(401, 429, 502, 503)},
        summary="The organizations I may switch to (my active WorkOS memberships)",
    )
    def get(self, request):
        session = AuthSession.objects.select_related("user").get(id=request.user.session_id)
        mine = memberships.active(session.user.workos_user_id or "")
        body = [
            {
                "id": m.organization_id,
                "name": m.organization_name,
                "role": m.role,
                "current": m.organization_id == session.organization_id,
            }
            for m in mine
        ]
        return Response(style.present(MyOrganizationSerializer(body, many=True).data))


class SwitchOrganizationView(_SignedInView):
    @extend_schema(
        operation_id="organization_switch",
        request=SwitchSerializer,
        responses={200: TokenPairResponseSerializer, **errors(400, 401, 403, 429, 502, 503)},
        summary="Move this sign-in to another of my organizations (a new token pair, no new sign-in)",
        description="The answer is a token pair for the organization, with its role, permissions and "
        "`session_config`; refresh tokens of this sign-in minted before stop working "
        "(`refresh_token_superseded`). 403 `organization_not_allowed` without an active membership; "
        "403 `sso_required` (or `method_not_allowed`) when a login rule asks for another way in: sign in "
        "through it instead. 400 `organization_switch_unavailable` for sign-ins not made through WorkOS.",
    )
    def post(self, request):
        body = SwitchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session = AuthSession.objects.select_related("user").get(id=request.user.session_id)
        session = sessions.switch_organization(session, body.validated_data["organization_id"], request=request)
        return signed_in(flow.SignIn(user=session.user, session=session, pair=tokens.mint(session.user, session)))


class _OrganizationAdminView(APIView):
    permission_classes = [SignInActive, IsOrganizationAdmin]
    throttle_classes = [OrganizationThrottle]


class OrganizationAPIKeysView(_OrganizationAdminView):
    @extend_schema(
        operation_id="organization_api_keys_list",
        responses={200: APIKeySerializer(many=True), **errors(401, 403, 502, 503)},
        summary="My organization's API keys (organization admins)",
    )
    def get(self, request):
        keys = api_keys.keys_of(request.user.organization_id)
        return Response(style.present(APIKeySerializer([k.public() for k in keys], many=True).data))

    @extend_schema(
        operation_id="organization_api_keys_create",
        request=CreateAPIKeySerializer,
        responses={201: NewAPIKeySerializer, **errors(400, 401, 403, 502, 503)},
        summary="Create an API key for my organization (its secret is shown once)",
        description="403 `permission_not_grantable` when asking for a permission your own role does not have.",
    )
    def post(self, request):
        body = CreateAPIKeySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        wanted = list(dict.fromkeys(body.validated_data["permissions"]))
        beyond = sorted(set(wanted) - set(permissions_of(request.user)))
        if beyond:
            raise GatehouseError(
                "A key can only have permissions your own role has.",
                code="permission_not_grantable",
                status=403,
                detail={"permissions": beyond},
            )
        key = api_keys.create(
            request.user.organization_id,
            name=body.validated_data["name"].strip(),
            permissions=wanted,
            actor=request.user,
            request=request,
        )
        return Response(style.present(NewAPIKeySerializer(key.public()).data), status=status.HTTP_201_CREATED)


class OrganizationAPIKeyView(_OrganizationAdminView):
    @extend_schema(
        operation_id="organization_api_keys_revoke",
        request=None,
        responses={204: None, **errors(401, 403, 404, 502, 503)},
        summary="Revoke one of my organization's API keys (it stops working at once)",
    )
    def delete(self, request, key_id):
        api_keys.revoke(request.user.organization_id, key_id, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class KeyInUseView(APIView):
    authentication_classes = [OrganizationAPIKeyAuthentication]
    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = [OrganizationThrottle]

    @extend_schema(
        operation_id="api_key_in_use",
        responses={
            200: KeyInUseSerializer,
            401: OpenApiResponse(ErrorSerializer, description="`api_key_invalid`, or no key"),
            **errors(429, 502, 503),
        },
        summary="The organization API key this request is made with",
    )
    def get(self, request):
        key = request.auth
        return Response(
            style.present(
                KeyInUseSerializer(
                    {
                        "id": key.id,
                        "name": key.name,
                        "organization_id": key.organization_id,
                        "permissions": list(key.permissions),
                        "created_at": key.created_at,
                    }
                ).data
            )
        )
