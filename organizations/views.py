"""The JSON API of an organization's API keys: its admins manage them; a key asks who it is."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import impersonation, memberships, sessions, tokens
from accounts.api import style
from accounts.api.base import errors, signed_in
from accounts.api.permissions import SignInActive
from accounts.api.serializers import ErrorSerializer, TokenPairResponseSerializer
from accounts.models import AuthSession
from accounts.signin import flow
from organizations import api_keys, members, portal
from organizations.authentication import OrganizationAPIKeyAuthentication
from organizations.permissions import IsOrganizationAdmin, permissions_of
from organizations.throttles import OrganizationThrottle

ERROR_409 = OpenApiResponse(ErrorSerializer, description="`last_admin`: the organization would have no admin left")


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
    waits_on_workos = True  # see workos_integration.waiting

    @extend_schema(
        operation_id="organization_switch",
        request=SwitchSerializer,
        responses={200: TokenPairResponseSerializer, **errors(400, 401, 403, 429, 502, 503)},
        summary="Move this sign-in to another of my organizations (a new token pair, no new sign-in)",
        description="The answer is a token pair for the organization, with its role, permissions and "
        "`session_config`; refresh tokens of this sign-in minted before stop working "
        "(`refresh_token_superseded`). 403 `organization_not_allowed` without an active membership; "
        "403 `sso_required` (or `method_not_allowed`) when a login rule asks for another way in: sign in "
        "through it instead; 403 `organization_step_required` (`detail.step`: `mfa`, `sso`, `sign_in`) when "
        "the organization's WorkOS policy asks for a step this sign-in did not pass: sign in to it. "
        "400 `organization_switch_unavailable` for sign-ins not made through WorkOS.",
    )
    def post(self, request):
        body = SwitchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session = AuthSession.objects.select_related("user").get(id=request.user.session_id)
        session = sessions.switch_organization(session, body.validated_data["organization_id"], request=request)
        return signed_in(
            request, flow.SignIn(user=session.user, session=session, pair=tokens.mint(session.user, session))
        )


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
        impersonation.refuse(request.user.impersonator, "api_keys", user=request.user, request=request)
        body = CreateAPIKeySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        key = api_keys.create(
            request.user.organization_id,
            name=body.validated_data["name"].strip(),
            permissions=body.validated_data["permissions"],
            actor=request.user,
            request=request,
            grantable=permissions_of(request.user),
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
        impersonation.refuse(request.user.impersonator, "api_keys", user=request.user, request=request)
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


# --- members and invitations -------------------------------------------------------------------


class MemberSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The WorkOS organization membership.")
    user_id = serializers.CharField(help_text="The WorkOS user.")
    email = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    role = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=["active", "inactive", "pending"])
    last_sign_in_at = serializers.DateTimeField(allow_null=True, help_text="The last sign-in here, if any.")


class RoleSerializer(serializers.Serializer):
    role = serializers.CharField(max_length=64)


class InvitationSerializer(serializers.Serializer):
    id = serializers.CharField()
    email = serializers.CharField()
    state = serializers.ChoiceField(choices=["pending", "accepted", "expired", "revoked"])
    role = serializers.CharField(allow_blank=True)
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


class InviteSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.CharField(max_length=64, required=False, default="member")


def _members_of(request):
    return [vars(m) for m in members.members(request.user.organization_id)]


class MembersView(_OrganizationAdminView):
    @extend_schema(
        operation_id="organization_members",
        responses={200: MemberSerializer(many=True), **errors(401, 403, 429, 502, 503)},
        summary="My organization's members (organization admins)",
    )
    def get(self, request):
        return Response(style.present(MemberSerializer(_members_of(request), many=True).data))


class MemberView(_OrganizationAdminView):
    @extend_schema(
        operation_id="organization_member_update",
        request=RoleSerializer,
        responses={200: MemberSerializer, **errors(400, 401, 403, 404, 429, 502, 503), 409: ERROR_409},
        summary="Change a member's role",
    )
    def patch(self, request, membership_id):
        impersonation.refuse(request.user.impersonator, "members", user=request.user, request=request)
        body = RoleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        member = members.change_role(
            request.user.organization_id,
            membership_id,
            body.validated_data["role"],
            actor=request.user,
            request=request,
        )
        return Response(style.present(MemberSerializer(vars(member)).data))

    @extend_schema(
        operation_id="organization_member_remove",
        request=None,
        responses={204: None, **errors(401, 403, 404, 429, 502, 503), 409: ERROR_409},
        summary="Remove a member (their WorkOS membership is deactivated; they are signed out of it)",
    )
    def delete(self, request, membership_id):
        impersonation.refuse(request.user.impersonator, "members", user=request.user, request=request)
        members.remove(request.user.organization_id, membership_id, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationsView(_OrganizationAdminView):
    @extend_schema(
        operation_id="organization_invitations",
        responses={200: InvitationSerializer(many=True), **errors(401, 403, 429, 502, 503)},
        summary="My organization's invitations",
    )
    def get(self, request):
        found = members.invitations(request.user.organization_id)
        return Response(style.present(InvitationSerializer([vars(i) for i in found], many=True).data))

    @extend_schema(
        operation_id="organization_invite",
        request=InviteSerializer,
        responses={201: InvitationSerializer, **errors(400, 401, 403, 429, 502, 503)},
        summary="Invite someone by email, with a role (WorkOS sends the email)",
        description="400 with WorkOS's code when the address is already invited "
        "(`email_already_invited_to_organization`) or already a member (`user_already_organization_member`).",
    )
    def post(self, request):
        impersonation.refuse(request.user.impersonator, "members", user=request.user, request=request)
        body = InviteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session = AuthSession.objects.select_related("user").get(id=request.user.session_id)
        sent = members.invite(
            request.user.organization_id,
            body.validated_data["email"],
            body.validated_data["role"],
            actor=request.user,
            inviter_workos_user_id=session.user.workos_user_id or "",
            request=request,
        )
        return Response(style.present(InvitationSerializer(vars(sent)).data), status=status.HTTP_201_CREATED)


class InvitationActionView(_OrganizationAdminView):
    action = ""

    @extend_schema(
        request=None,
        responses={200: InvitationSerializer, **errors(400, 401, 403, 404, 429, 502, 503)},
        summary="Revoke or resend a pending invitation",
        description="400 with WorkOS's code when the invitation is no longer pending.",
    )
    def post(self, request, invitation_id):
        impersonation.refuse(request.user.impersonator, "members", user=request.user, request=request)
        done = members.change_invitation(
            request.user.organization_id, invitation_id, self.action, actor=request.user, request=request
        )
        return Response(style.present(InvitationSerializer(vars(done)).data))


class PortalLinkSerializer(serializers.Serializer):
    intent = serializers.ChoiceField(choices=portal.INTENTS)


class LinkSerializer(serializers.Serializer):
    link = serializers.URLField(help_text="WorkOS's Admin Portal for this organization; short-lived, open it at once.")


class PortalLinkView(_OrganizationAdminView):
    @extend_schema(
        operation_id="organization_portal_link",
        request=PortalLinkSerializer,
        responses={200: LinkSerializer, **errors(400, 401, 403, 429, 502, 503)},
        summary="An Admin Portal link to set up SSO, directory sync, domains, audit logs or log streams",
    )
    def post(self, request):
        body = PortalLinkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        made = portal.link(
            request.user.organization_id, body.validated_data["intent"], actor=request.user, request=request
        )
        return Response(style.present({"link": made}))
