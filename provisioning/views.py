"""Settings > System > User provisioning: what to give Entra's provisioning service."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.decorators import tenant_user_required
from accounts.permissions import request_can
from accounts.roles import Capability
from core.http import NO_STORE, origin_of
from tokens.models import ApiToken, Kind
from tokens.services import scim_token_rotate


@require_http_methods(["GET", "POST"])
@tenant_user_required
def provisioning(request):
    """The tenant's SCIM URL and a secret token, shown once. Full admins only."""
    if not request_can(request, Capability.SETTINGS_MANAGE):
        raise PermissionDenied("Only administrators who manage settings can set up provisioning.")
    value = None
    if request.method == "POST":
        _, value = scim_token_rotate(user=request.user, origin=origin_of(request))
    tenant = request.user.tenant
    response = render(
        request,
        "provisioning/provisioning.html",
        {
            "tenant": tenant,
            "scim_url": tenant.custom_url + reverse("scim:users").removesuffix("/Users"),
            "token": ApiToken.objects.for_tenant(tenant)
            .live()
            .filter(kind=Kind.SCIM)
            .select_related("user")
            .first(),
            "value": value,
        },
    )
    for header, header_value in NO_STORE.items():
        response[header] = header_value
    return response
