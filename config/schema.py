"""The schema's wiring: the authentication schemes, and the aliases left out of it (the
/cas/ and unversioned paths are the same operations). How operations are described is
core/schema.py."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


def drop_aliases(endpoints, **kwargs):
    return [
        endpoint for endpoint in endpoints if not endpoint[0].startswith(("/cas/", "/api/subnet"))
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
