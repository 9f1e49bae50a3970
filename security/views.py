"""The portal's page for one alert: where an alert's `URL` leads (as real alerts link to
their page on the portal). Anyone of the tenant who may read alerts sees it."""

import re

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import tenant_user_required
from accounts.permissions import request_capabilities
from security.api.base import ALERTS_READ
from security.models import Alert

OBJECT_ID = re.compile(r"[0-9a-fA-F]{24}")
ENTITY_KINDS = {
    "account": "Account",
    "user": "User",
    "service": "App",
    "ip": "IP address",
    "country": "Country",
    "file": "File",
    "policyRule": "Policy",
    "device": "Device",
    "groupTag": "Group",
}


@require_GET
@tenant_user_required
def alert(request, pk: str):
    if not set(ALERTS_READ) & request_capabilities(request):
        raise PermissionDenied(
            "Reading alerts needs the Investigation.read or Discovery.read permission."
        )
    found = None
    if OBJECT_ID.fullmatch(pk):
        found = (
            Alert.objects.for_tenant(request.user.tenant_id).filter(public_id=pk.lower()).first()
        )
    if found is None:
        raise Http404("No alert of this tenant has that id.")
    entities = [
        (
            ENTITY_KINDS.get(str(entity.get("type")), str(entity.get("type"))),
            entity.get("label") or entity.get("id"),
        )
        for entity in found.entities
        if isinstance(entity, dict)
    ]
    return render(request, "security/alert.html", {"alert": found, "entities": entities})
