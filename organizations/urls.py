from django.urls import path

from organizations import views, web

urlpatterns = [
    path("organization/switch", web.switch_page, name="web-organization-switch"),
    path("api/organization/api-keys", views.OrganizationAPIKeysView.as_view(), name="api-organization-api-keys"),
    path(
        "api/organization/api-keys/<str:key_id>",
        views.OrganizationAPIKeyView.as_view(),
        name="api-organization-api-key",
    ),
    path("api/auth/api-key", views.KeyInUseView.as_view(), name="api-key-in-use"),
    path("api/organization/members", views.MembersView.as_view(), name="api-organization-members"),
    path("api/organization/members/<str:membership_id>", views.MemberView.as_view(), name="api-organization-member"),
    path("api/organization/invitations", views.InvitationsView.as_view(), name="api-organization-invitations"),
    path(
        "api/organization/invitations/<str:invitation_id>/revoke",
        views.InvitationActionView.as_view(action="revoke"),
        name="api-organization-invitation-revoke",
    ),
    path(
        "api/organization/invitations/<str:invitation_id>/resend",
        views.InvitationActionView.as_view(action="resend"),
        name="api-organization-invitation-resend",
    ),
    path("api/organization/portal-link", views.PortalLinkView.as_view(), name="api-organization-portal-link"),
    path("invite", web.invitation_page, name="web-invitation"),
    path("organization/", web.organization_page, name="web-organization"),
    path("api/auth/organizations", views.MyOrganizationsView.as_view(), name="api-my-organizations"),
    path("api/auth/organization/switch", views.SwitchOrganizationView.as_view(), name="api-organization-switch"),
]
