from django.urls import path

from accounts import api as accounts_api
from tokens import urls as tokens_urls

app_name = "api"

urlpatterns = [
    *tokens_urls.api_routes,
    path("users/", accounts_api.UserListApi.as_view(), name="users"),
    path(
        "users/<str:user_id>/deprovision/",
        accounts_api.UserDeprovisionApi.as_view(),
        name="user-deprovision",
    ),
    path(
        "service-accounts/",
        accounts_api.ServiceAccountCreateApi.as_view(),
        name="service-accounts",
    ),
    path(
        "service-accounts/<str:user_id>/",
        accounts_api.ServiceAccountChangeApi.as_view(),
        name="service-account",
    ),
    path(
        "users/<str:user_id>/reprovision/",
        accounts_api.UserReprovisionApi.as_view(),
        name="user-reprovision",
    ),
]
