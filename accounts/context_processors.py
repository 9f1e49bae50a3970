from django.conf import settings

from accounts.models import generic_portal_url


def portal(request):
    return {"generic_portal_url": generic_portal_url(), "portal_version": settings.PORTAL_VERSION}
