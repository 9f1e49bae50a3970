from django.urls import path

from tokens import views

app_name = "tokens"

urlpatterns = [
    path("", views.api_tokens, name="api-tokens"),
    path("new/", views.generate, name="generate"),
    path("<int:token_id>/", views.detail, name="detail"),
    path("<int:token_id>/revoke/", views.revoke, name="revoke"),
    path("<int:token_id>/regenerate/", views.rotate, name="rotate"),
]
