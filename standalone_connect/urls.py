from django.urls import path

from standalone_connect import views
from standalone_connect.conf import app_settings as connect_settings

urlpatterns = [
    path(connect_settings.CONNECT_LOGIN_PATH, views.connect_login, name="connect-login"),
    path("api/connect/me", views.ConnectMeView.as_view(), name="connect-me"),
    path(".well-known/oauth-protected-resource", views.protected_resource_metadata, name="connect-resource-metadata"),
]
