from django.urls import path

from sso import views

urlpatterns = [
    path("auth/sso", views.sso_sign_in, name="sso-sign-in"),
    path("api/auth/sso/authorize", views.SSOAuthorizeView.as_view(), name="api-sso-authorize"),
    path("api/auth/organization", views.MyOrganizationView.as_view(), name="api-my-organization"),
]
