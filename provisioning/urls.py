from django.urls import path

from provisioning import scim

app_name = "scim"

# Entra's provisioning service calls these without a trailing slash.
urlpatterns = [
    path("Users", scim.UsersScim.as_view(), name="users"),
    path("Users/<str:user_id>", scim.UserScim.as_view(), name="user"),
]
