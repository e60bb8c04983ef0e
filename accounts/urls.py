from django.urls import path

from accounts.api import steps
from accounts.api import views as api
from accounts.web import steps as web_steps
from accounts.web import views as web

urlpatterns = [
    # browser
    path("auth/login", web.login_page, name="web-login"),
    path("auth/workos/start", web.workos_start, name="web-workos-start"),
    path("auth/callback", web.workos_callback, name="web-callback"),
    path("auth/logout", web.logout_view, name="web-logout"),
    path("auth/steps", web_steps.steps_page, name="web-steps"),
    path("auth/password-reset", web_steps.password_reset_page, name="web-password-reset"),
    path("auth/password-reset/confirm", web_steps.password_reset_confirm_page, name="web-password-reset-confirm"),
    # JSON API
    path("api/auth/workos/authorize", api.WorkOSAuthorizeView.as_view(), name="api-workos-authorize"),
    path("api/auth/workos/callback", api.WorkOSCallbackView.as_view(), name="api-workos-callback"),
    path("api/auth/login", api.PasswordLoginView.as_view(), name="api-login"),
    path("api/auth/steps/email-verification", steps.EmailVerificationStepView.as_view(), name="api-step-email"),
    path("api/auth/steps/mfa/enroll", steps.MfaEnrollView.as_view(), name="api-step-mfa-enroll"),
    path("api/auth/steps/mfa", steps.MfaStepView.as_view(), name="api-step-mfa"),
    path("api/auth/steps/organization", steps.OrganizationStepView.as_view(), name="api-step-organization"),
    path("api/auth/magic-code", steps.MagicCodeView.as_view(), name="api-magic-code"),
    path("api/auth/magic-code/verify", steps.MagicCodeVerifyView.as_view(), name="api-magic-code-verify"),
    path("api/auth/password-reset", steps.PasswordResetView.as_view(), name="api-password-reset"),
    path(
        "api/auth/password-reset/confirm", steps.PasswordResetConfirmView.as_view(), name="api-password-reset-confirm"
    ),
    path("api/auth/device", steps.DeviceStartView.as_view(), name="api-device"),
    path("api/auth/device/token", steps.DeviceTokenView.as_view(), name="api-device-token"),
    path("api/auth/logout/", api.LogoutView.as_view(), name="api-logout"),
    path("api/auth/sessions/", api.SessionListView.as_view(), name="api-sessions"),
    path("api/auth/sessions/revoke-all/", api.SessionRevokeAllView.as_view(), name="api-sessions-revoke-all"),
    path("api/auth/sessions/<str:session_id>/", api.SessionDetailView.as_view(), name="api-session"),
    path("account/sessions", web.sessions_page, name="web-sessions"),
    path("account/recovery-codes", web.recovery_codes_page, name="web-recovery-codes"),
    path("account/password", web.password_change_page, name="web-password-change"),
    path("api/auth/recovery-codes", api.RecoveryCodesView.as_view(), name="api-recovery-codes"),
    path("api/auth/password", api.PasswordChangeView.as_view(), name="api-password-change"),
    path("api/auth/google/", api.GoogleView.as_view(), name="api-google"),
    path("api/auth/okta/", api.OktaView.as_view(), name="api-okta"),
    path("api/token/", api.PasswordTokenView.as_view(), name="api-token"),
    path("api/token/refresh/", api.RefreshView.as_view(), name="api-token-refresh"),
    path("api/token/verify/", api.VerifyView.as_view(), name="api-token-verify"),
]
