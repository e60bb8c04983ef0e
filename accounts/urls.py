from django.urls import path

from accounts.api import views as api
from accounts.web import views as web

urlpatterns = [
    # browser
    path("auth/login", web.login_page, name="web-login"),
    path("auth/workos/start", web.workos_start, name="web-workos-start"),
    path("auth/callback", web.workos_callback, name="web-callback"),
    path("auth/logout", web.logout_view, name="web-logout"),
    # JSON API
    path("api/auth/workos/authorize", api.WorkOSAuthorizeView.as_view(), name="api-workos-authorize"),
    path("api/auth/workos/callback", api.WorkOSCallbackView.as_view(), name="api-workos-callback"),
    path("api/auth/logout/", api.LogoutView.as_view(), name="api-logout"),
    path("api/auth/me", api.MeView.as_view(), name="api-me"),
    path("api/auth/sessions/", api.SessionListView.as_view(), name="api-sessions"),
    path("api/auth/sessions/revoke-all/", api.SessionRevokeAllView.as_view(), name="api-sessions-revoke-all"),
    path("api/auth/sessions/<str:session_id>/", api.SessionDetailView.as_view(), name="api-session"),
    path("account/sessions", web.sessions_page, name="web-sessions"),
    path("api/auth/google/", api.GoogleView.as_view(), name="api-google"),
    path("api/auth/okta/", api.OktaView.as_view(), name="api-okta"),
    path("api/token/", api.PasswordTokenView.as_view(), name="api-token"),
    path("api/token/refresh/", api.RefreshView.as_view(), name="api-token-refresh"),
    path("api/token/verify/", api.VerifyView.as_view(), name="api-token-verify"),
]
