from django.contrib import admin
from django.urls import include, path
from drf_spectacular.renderers import OpenApiJsonRenderer2
from drf_spectacular.views import SpectacularAPIView, SpectacularJSONAPIView, SpectacularSwaggerSplitView

from accounts.api.views import MeView
from accounts.web.views import admin_login
from config import examples, views

admin.site.site_header = "Gatehouse administration"
admin.site.site_title = "Gatehouse admin"
admin.site.index_title = "Users, sign-ins and WorkOS"
admin.site.enable_nav_sidebar = False  # the changelists get the width (they fit a 1280 px screen)

urlpatterns = [
    # first, outside any include: the hottest endpoint (every SPA page load) is matched at once
    path("api/auth/me", MeView.as_view(), name="api-me"),
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics_view, name="metrics"),
    # browsers ask for /favicon.ico whatever the page says
    path("favicon.ico", views.favicon),
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # the same schema as application/json, which a browser shows instead of downloading
    path(
        "api/schema.json",
        SpectacularJSONAPIView.as_view(renderer_classes=[OpenApiJsonRenderer2]),
        name="api-schema-json",
    ),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/docs.html"),
        name="api-docs",
    ),
    path("examples/spa/", examples.spa, name="example-spa"),
    path("examples/spa/callback", examples.spa, name="example-spa-callback"),
    path("examples/spa/callback/<slug:provider>", examples.spa, name="example-spa-provider-callback"),
    path("", include("accounts.urls")),
    path("", include("sso.urls")),
    path("", include("organizations.urls")),
    path("", include("workos_integration.urls")),
    path("", include("standalone_connect.urls")),
]

handler400 = "config.views.handler400"
handler403 = "config.views.handler403"
handler404 = "config.views.handler404"
handler500 = "config.views.handler500"
