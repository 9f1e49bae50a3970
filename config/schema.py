"""The schema's wiring: the authentication schemes, and the aliases left out of it (the
/cas/ and unversioned paths are the same operations). How operations are described is
core/schema.py."""

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
)


def drop_aliases(endpoints, **kwargs):
    return [
        endpoint for endpoint in endpoints if not endpoint[0].startswith(("/cas/", "/api/subnet"))
    ]


def closed_request_bodies(result, **kwargs):
    """Every request body that does not say otherwise is closed (`additionalProperties:
    false`): a field an endpoint does not know is refused with a 400 (core/bodies.py), and the
    schema says so. The data API's bodies say that they take more (core/schema.py)."""
    schemas = result.get("components", {}).get("schemas", {})
    for path in result.get("paths", {}).values():
        for operation in path.values():
            content = (
                operation.get("requestBody", {}).get("content", {})
                if isinstance(operation, dict)
                else {}
            )
            for media in content.values():
                ref = media.get("schema", {}).get("$ref", "")
                body = schemas.get(ref.rsplit("/", 1)[-1]) if ref else media.get("schema")
                if body and body.get("type") == "object" and "properties" in body:
                    body.setdefault("additionalProperties", False)
                    if {"expires_at", "expires_in_days"} <= set(body["properties"]):
                        # One or the other (tokens/api/tokens.py ExpiryInput), never both.
                        body["not"] = {"required": ["expires_at", "expires_in_days"]}
    return result


class PolicyChangeSchema(OpenApiSerializerExtension):
    """The token policy's rules between fields, stated in its request body's schema."""

    target_class = "tokens.api.policy.PolicyChangeInput"

    def map_serializer(self, auto_schema, direction):
        from tokens.api.policy import policy_conflicts

        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["allOf"] = [{"not": conflict} for conflict in policy_conflicts()]
        return schema


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
