"""/api/v1/me/: who is calling, with what credential and what it may do."""

from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import EntraCredential
from accounts.permissions import request_capabilities
from tokens.api.shapes import UserSerializer
from tokens.models import ApiToken


class MeApi(APIView):
    """Who is calling: user (or application), tenant, role, the capabilities in force, and
    the credential they came with."""

    def get(self, request):
        user = request.user
        tenant = user.tenant
        return Response(
            {
                "user": UserSerializer(user).data if user.pk is not None else None,
                "tenant": {
                    "id": str(tenant.public_id),
                    "name": tenant.name,
                    "slug": tenant.slug,
                    "region": tenant.region,
                    "url": tenant.custom_url,
                },
                "role": {"value": user.role, "label": user.role_label},
                # in force: the credential's (a token's scopes within its issuer's role)
                "capabilities": sorted(request_capabilities(request)),
                "role_capabilities": sorted(user.capabilities) if user.pk is not None else [],
                # a token narrowed by scopes: them; any other credential: null
                "scopes": sorted(request.auth.scopes)
                if isinstance(request.auth, ApiToken) and request.auth.scopes is not None
                else None,
                "authentication": describe_credential(request.auth),
            }
        )


def describe_credential(auth) -> dict:
    if isinstance(auth, ApiToken):
        return {"method": "token", "token": {"id": auth.pk, "name": auth.name, "kind": auth.kind}}
    if isinstance(auth, EntraCredential):
        claims = auth.claims
        return {
            "method": "entra",
            "context": auth.context,
            "tenant_id": claims["tid"],
            "application_id": claims.get("azp") or claims.get("appid"),
            "object_id": claims.get("oid"),
            "granted": claims["scp"].split() if auth.context == "user" else claims["roles"],
        }
    return {"method": "session"}
