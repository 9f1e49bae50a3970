from django.urls import path

from accounts import api as accounts_api
from tokens.api import events, me, policy, reports, rotation
from tokens.api import tokens as tokens_api

app_name = "api"

urlpatterns = [
    path("me/", me.MeApi.as_view(), name="me"),
    path("tokens/", tokens_api.TokenListApi.as_view(), name="tokens"),
    path("tokens/self/rotate/", rotation.TokenSelfRotateApi.as_view(), name="token-self-rotate"),
    path("tokens/<str:token_id>/", tokens_api.TokenDetailApi.as_view(), name="token"),
    path("tokens/<str:token_id>/revoke/", tokens_api.TokenRevokeApi.as_view(), name="token-revoke"),
    path("tokens/<str:token_id>/rotate/", rotation.TokenRotateApi.as_view(), name="token-rotate"),
    path("tokens/<str:token_id>/events/", events.TokenEventsApi.as_view(), name="token-events"),
    path("token-events/", events.TokenEventListApi.as_view(), name="token-event-list"),
    path("token-policy/", policy.TokenPolicyApi.as_view(), name="token-policy"),
    path(
        "credentials/revoke/",
        reports.CredentialsRevokeApi.as_view(),
        name="credentials-revoke",
    ),
    path("users/", accounts_api.UserListApi.as_view(), name="users"),
    path(
        "users/<str:user_id>/deprovision/",
        accounts_api.UserDeprovisionApi.as_view(),
        name="user-deprovision",
    ),
    path(
        "users/<str:user_id>/reprovision/",
        accounts_api.UserReprovisionApi.as_view(),
        name="user-reprovision",
    ),
]
