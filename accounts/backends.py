from django.contrib.auth.backends import ModelBackend

from accounts.middleware import user_belongs_to_host


class TenantModelBackend(ModelBackend):
    """Username and password, refused on another tenant's custom URL and for deprovisioned
    users (their tokens are kept, their sign-in is not)."""

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and user.deprovisioned_at is None

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        tenant_host = getattr(request, "tenant_host", None)
        if user is not None and not user_belongs_to_host(user, tenant_host):
            return None
        return user
