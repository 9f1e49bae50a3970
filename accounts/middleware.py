from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from accounts.models import Tenant
from core.http import API_PREFIXES, normalise_host


def parse_tenant_host(host: str) -> tuple[str, str] | None:
    """(slug, region) when the host is a tenant's custom URL, {slug}.{region}.{PORTAL_DOMAIN};
    None for the generic portal or any other host. Ports are ignored."""
    hostname = normalise_host(host)
    suffix = "." + normalise_host(settings.PORTAL_DOMAIN)
    if not hostname.endswith(suffix):
        return None
    labels = hostname[: -len(suffix)].split(".")
    if len(labels) != 2 or not all(labels):
        return None
    return labels[0], labels[1]


def _resolve_tenant(tenant_host: tuple[str, str]) -> Tenant:
    tenant = Tenant.objects.by_host(*tenant_host)
    if tenant is None:
        raise Http404("No tenant is served at this address.")
    return tenant


class TenantMiddleware:
    """Sets request.tenant_host from the Host header, and request.tenant: None on the generic
    portal, the tenant on a custom URL (a 404 page if there is none; for the API, looked up on
    first use, so a token request spends no query on it). On a custom URL a session of another
    tenant's user counts as signed out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> HttpResponse:  # gains tenant_host and tenant here
        tenant_host = parse_tenant_host(request.get_host())
        request.tenant_host = tenant_host
        if tenant_host is None:
            request.tenant = None
        elif request.path.startswith(API_PREFIXES):
            # Looked up on first use only: a token request never needs it.
            request.tenant = SimpleLazyObject(lambda: _resolve_tenant(tenant_host))
        else:
            request.tenant = _resolve_tenant(tenant_host)  # pages at an unknown tenant: 404
        if tenant_host is not None:
            user = request.user
            if user.is_authenticated and not user_belongs_to_host(user, tenant_host):
                request.user = AnonymousUser()
        return self.get_response(request)


def user_belongs_to_host(user, tenant_host: tuple[str, str] | None) -> bool:
    """Whether the user may act on this host: anywhere on the generic portal, only on their
    own tenant's custom URL."""
    if tenant_host is None:
        return True
    tenant = user.tenant
    return tenant is not None and (tenant.slug, tenant.region) == tenant_host
