"""The portal's pages of the security data (config/urls.py mounts them at /alerts/)."""

from django.urls import path

from security import views

app_name = "security"

urlpatterns = [
    path("", views.alerts, name="alerts"),
    path("<str:pk>/", views.alert, name="alert"),
    path("<str:pk>/close/", views.alert_close, name="alert-close"),
]
