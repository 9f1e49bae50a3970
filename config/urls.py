from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from accounts import views as account_views
from core.apidocs import api_docs
from provisioning import views as provisioning_views
from security.urls import unversioned
from tokens import urls as tokens_urls

urlpatterns = [
    path("", account_views.home, name="home"),
    path("settings/", account_views.home),
    path("settings/system/about/", account_views.about, name="about"),
    path("settings/system/provisioning/", provisioning_views.provisioning, name="provisioning"),
    path("settings/security-extensions/api-tokens/", include("tokens.urls")),
    path("settings/", include(tokens_urls.settings_routes)),
    path("settings/", include("extensions.urls")),
    path("favicon.ico", lambda request: redirect(static("img/logo.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    # Local accounts are break-glass admins: their passwords are reset by an operator, never
    # by an email link (allauth's reset would mail one).
    path(
        "accounts/password/reset/",
        TemplateView.as_view(template_name="account/password_reset.html"),
    ),
    path("accounts/confirm/", account_views.confirm_identity, name="confirm-identity"),
    path("accounts/", include("allauth.urls")),
    path("sso/", include("accounts.urls")),
    path("scim/v2/", include("provisioning.urls")),
    path("alerts/", include("security.urls_pages")),
    # OpenAPI 3 for the whole API, and a page of our own that writes it out (core/apidocs.py).
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("api/v1/", include("config.api_router")),
    path("api/v1/", include(("security.urls", "data"), namespace="data")),
    path("api/v1/", include(("extensions.urls_api", "extensions-api"), namespace="extensions-api")),
    path("api/", include((unversioned, "data"), namespace="data-unversioned")),
    # The same API under /cas/, as the reference's Entra examples call it.
    path("cas/api/v1/", include(("config.api_router", "api"), namespace="cas-api")),
    path("cas/api/v1/", include(("security.urls", "data"), namespace="cas-data")),
    path(
        "cas/api/v1/",
        include(("extensions.urls_api", "extensions-api"), namespace="cas-extensions-api"),
    ),
    path("cas/api/", include((unversioned, "data"), namespace="cas-data-unversioned")),
]

handler400 = "core.exceptions.bad_request"
handler403 = "core.exceptions.permission_denied"
handler404 = "core.exceptions.page_not_found"
handler500 = "core.exceptions.server_error"
