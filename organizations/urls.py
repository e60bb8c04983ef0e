from django.urls import path

from organizations import views

urlpatterns = [
    path("api/organization/api-keys", views.OrganizationAPIKeysView.as_view(), name="api-organization-api-keys"),
    path(
        "api/organization/api-keys/<str:key_id>",
        views.OrganizationAPIKeyView.as_view(),
        name="api-organization-api-key",
    ),
    path("api/auth/api-key", views.KeyInUseView.as_view(), name="api-key-in-use"),
]
