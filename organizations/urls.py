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
    path("api/auth/organizations", views.MyOrganizationsView.as_view(), name="api-my-organizations"),
    path("api/auth/organization/switch", views.SwitchOrganizationView.as_view(), name="api-organization-switch"),
]
