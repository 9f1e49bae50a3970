"""DRF's browsable API under the portal's CSP."""

from django.conf import settings
from django.utils.csp import CSP
from rest_framework.renderers import BrowsableAPIRenderer


class PortalBrowsableAPIRenderer(BrowsableAPIRenderer):
    """DRF's page sets a few `style` attributes (its toolbar buttons), which `style-src 'self'`
    blocks, logging a violation on every page. Its pages alone allow inline styles, never
    inline scripts (DECISIONS.md 23, as for Swagger UI): its scripts are files of our own."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            response._csp_config = {
                **settings.SECURE_CSP,
                "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
            }
        return super().render(data, accepted_media_type, renderer_context)
