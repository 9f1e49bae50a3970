from django.contrib.auth.backends import ModelBackend

from accounts.models import Tenant, User


class TenantModelBackend(ModelBackend):
    """Username and password (local, break-glass accounts), looked up within the tenant whose
    custom URL the sign-in is on: user names are unique per tenant. On the generic portal a
    name is taken only where it is unambiguous (platform staff, or a name one tenant alone
    uses); a name several tenants use signs in on its tenant's own URL. Deprovisioned users
    are refused (their tokens are kept, their sign-in is not)."""

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and user.deprovisioned_at is None

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = self._find(request, str(username).strip())
        if user is None:
            User().set_password(password)  # the same work as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    @staticmethod
    def _find(request, username: str) -> User | None:
        tenant_host = getattr(request, "tenant_host", None)
        users = User.objects.filter(username__iexact=username)
        if tenant_host is not None:
            tenant = Tenant.objects.by_host(*tenant_host)
            return users.filter(tenant=tenant).first() if tenant is not None else None
        staff = users.filter(tenant__isnull=True).first()
        if staff is not None:
            return staff
        candidates = list(users[:2])
        return candidates[0] if len(candidates) == 1 else None
