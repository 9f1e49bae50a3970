"""Sign in with Microsoft. social-auth reverses `social:complete` for the redirect URI, so
these keep its namespace and names: /sso/login/entra/ and /sso/complete/entra/."""

from django.urls import path

from accounts import sso

app_name = "social"

urlpatterns = [
    path("login/<str:backend>/", sso.begin, name="begin"),
    path("complete/<str:backend>/", sso.complete, name="complete"),
]
