"""Settings > System > User provisioning: what to give Entra's provisioning service."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.decorators import tenant_user_required
from accounts.permissions import request_can
from accounts.reauthentication import recent_sign_in_required
from accounts.roles import Capability
from core.http import no_store, origin_of
from tokens.models import ApiToken, Kind
from tokens.rotation import scim_token_rotate


@require_http_methods(["GET", "POST"])
@tenant_user_required
@recent_sign_in_required(keep=False)
def provisioning(request):
    """The tenant's SCIM URL and a secret token, shown once. Full admins only."""
    if not request_can(request, Capability.SETTINGS_MANAGE):
        raise PermissionDenied("Only administrators who manage settings can set up provisioning.")
    tenant = request.user.tenant
    live = ApiToken.objects.for_tenant(tenant).live().filter(kind=Kind.SCIM).select_related("user")
    token = live.first()
    value, confirming = None, False
    if request.method == "POST":
        # Replacing the live secret stops provisioning until Entra has the new one: only
        # once confirmed, for the very token the confirmation named.
        if token is not None and request.POST.get("replaces") != str(token.pk):
            confirming = True
        else:
            _, value = scim_token_rotate(user=request.user, origin=origin_of(request))
            token = live.first()
    response = render(
        request,
        "provisioning/provisioning.html",
        {
            "tenant": tenant,
            "scim_url": tenant.custom_url + reverse("scim:users").removesuffix("/Users"),
            "token": token,
            "value": value,
            "confirming": confirming,
        },
    )
    return no_store(response)
