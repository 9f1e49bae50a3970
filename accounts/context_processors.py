from django.conf import settings

from accounts import entra
from accounts.models import generic_portal_url
from accounts.permissions import request_capabilities


def portal(request):
    tenant = getattr(request, "tenant", None)
    return {
        "generic_portal_url": generic_portal_url(),
        "portal_version": settings.PORTAL_VERSION,
        # What the navigation may offer: the same answer the views give.
        "capabilities": request_capabilities(request),
        # Offered on the generic portal and on tenants that connected an Entra directory.
        "entra_sign_in": entra.sso_enabled()
        and (tenant is None or tenant.entra_tenant_id is not None),
    }
