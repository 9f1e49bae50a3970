"""OpenAPI generation (drf-spectacular) for views written as plain APIViews: their bodies are
the reference's JSON shapes, not serializers, so they are documented as JSON objects with the
view's docstring; and the /cas/ and unversioned aliases are left out (same operations)."""

import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes


class PortalAutoSchema(AutoSchema):
    def _has_serializer(self) -> bool:
        return hasattr(self.view, "get_serializer") or hasattr(self.view, "serializer_class")

    def get_request_serializer(self):
        if self._has_serializer():
            return super().get_request_serializer()
        if self.method in {"GET", "DELETE", "HEAD"}:
            return None
        return OpenApiTypes.OBJECT

    def get_operation_id(self):
        # One per path and method (the default names a list and a fetch alike "retrieve").
        path = self.path.strip("/").replace("{", "by_").replace("}", "")
        return re.sub(r"[^A-Za-z0-9]+", "_", path) + "_" + self.method.lower()

    def get_response_serializers(self):
        if self._has_serializer():
            return super().get_response_serializers()
        return OpenApiTypes.OBJECT


def drop_aliases(endpoints, **kwargs):
    return [
        endpoint
        for endpoint in endpoints
        if not endpoint[0].startswith(("/cas/", "/api/subnet", "/api/v1/discovery/upload/"))
    ]


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "tokens.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <value>`: an API token generated on the portal.",
        }


class EntraBearerScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.EntraBearerAuthentication"
    name = "entraBearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token that Microsoft Entra ID issued for this API.",
        }


class ScimTokenScheme(OpenApiAuthenticationExtension):
    target_class = "provisioning.scim.ScimTokenAuthentication"
    name = "scimToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The tenant's SCIM secret token.",
        }
