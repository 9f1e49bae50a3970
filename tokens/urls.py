from django.urls import path

from tokens.views import detail, dialogs, table

app_name = "tokens"

urlpatterns = [
    path("", table.api_tokens, name="api-tokens"),
    path("new/", dialogs.generate, name="generate"),
    path("<int:token_id>/", detail.detail, name="detail"),
    path("<int:token_id>/revoke/", detail.revoke, name="revoke"),
    path("<int:token_id>/regenerate/", dialogs.rotate, name="rotate"),
]
