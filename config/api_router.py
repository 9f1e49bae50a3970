from django.urls import path

from tokens import api as tokens_api

app_name = "api"

urlpatterns = [
    path("me/", tokens_api.MeApi.as_view(), name="me"),
    path("tokens/", tokens_api.TokenListApi.as_view(), name="tokens"),
    path("tokens/<str:token_id>/", tokens_api.TokenDetailApi.as_view(), name="token"),
    path("tokens/<str:token_id>/revoke/", tokens_api.TokenRevokeApi.as_view(), name="token-revoke"),
]
