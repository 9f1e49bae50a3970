from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import TemplateView

from accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("settings/", account_views.home),
    path("settings/system/about/", account_views.about, name="about"),
    path("settings/system/provisioning/", account_views.provisioning, name="provisioning"),
    path("settings/security-extensions/api-tokens/", include("tokens.urls")),
    path("favicon.ico", lambda request: redirect(static("img/logo.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    # Local accounts are break-glass admins: their passwords are reset by an operator, never
    # by an email link (allauth's reset would mail one).
    path(
        "accounts/password/reset/",
        TemplateView.as_view(template_name="account/password_reset.html"),
    ),
    path("accounts/", include("allauth.urls")),
    path("sso/", include("accounts.urls")),
    path("scim/v2/", include("accounts.scim_urls")),
    path("api/v1/", include("config.api_router")),
]

handler400 = "config.exceptions.bad_request"
handler403 = "config.exceptions.permission_denied"
handler404 = "config.exceptions.page_not_found"
handler500 = "config.exceptions.server_error"
