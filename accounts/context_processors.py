from django.conf import settings

from accounts import entra
from accounts.models import generic_portal_url


def portal(request):
    tenant = getattr(request, "tenant", None)
    return {
        "generic_portal_url": generic_portal_url(),
        "portal_version": settings.PORTAL_VERSION,
        # Offered on the generic portal and on tenants that connected an Entra directory.
        "entra_sign_in": entra.sso_enabled()
        and (tenant is None or tenant.entra_tenant_id is not None),
    }
