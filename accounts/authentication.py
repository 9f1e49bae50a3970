"""`Authorization: Bearer <JWT>`: OAuth 2.0 access tokens that Entra ID issued for this API.

Application context (a daemon with its own credentials): no user; the token's `roles` claim
says what it may do. User context (on behalf of a signed-in person): the token's `scp` claim,
intersected with what the portal user found by `oid` may do now, so a security reader's token
never alters data whatever scopes it asks for.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from accounts import entra
from accounts.models import Tenant, User
from accounts.roles import Capability
from core.http import origin_of

# The refusal for a credential whose owner was deprovisioned, whatever the credential: an API
# token of theirs (tokens/authentication.py) or an Entra token in their name.
DEPROVISIONED_OWNER = "Invalid user - the owner of this token is not permitted to use tokens"


class KeysUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = "Entra's signing keys are unavailable right now; try again shortly."

    def __init__(self, wait: int) -> None:
        super().__init__()
        self.wait = wait  # DRF sends it as Retry-After


@dataclass(frozen=True)
class EntraApplication:
    """The caller in application context: an app registration of the tenant's directory.
    Quacks like a user where the API asks (authenticated, of a tenant, never deprovisioned)
    but is no database row and can own nothing."""

    tenant: Tenant
    app_id: str
    capabilities: frozenset[Capability]
    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_deprovisioned = False
    is_staff = False
    pk = None
    id = None
    role = ""
    role_label = "Application"

    @property
    def tenant_id(self) -> int:
        return self.tenant.pk

    @property
    def username(self) -> str:
        return self.app_id

    @property
    def display_name(self) -> str:
        return f"Application {self.app_id}"


@dataclass(frozen=True)
class EntraCredential:
    """request.auth for a bearer token: which context, what it grants, and its claims."""

    context: str  # "application" or "user"
    capabilities: frozenset[Capability]
    claims: dict[str, Any] = field(repr=False)
    kind = None  # not one of our token kinds: views that take only `siem` tokens refuse it


class EntraBearerAuthentication(BaseAuthentication):
    keyword = "bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION")
        if not header:
            return None
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != self.keyword:
            return None
        token = credentials.strip()
        # (An API token sent as Bearer never gets here: tokens/authentication.py, which runs
        # first, says where it goes.)
        if not entra.api_audiences():
            raise exceptions.AuthenticationFailed(
                "Entra bearer tokens are not accepted here: no API application is configured"
            )
        try:
            claims = entra.verify_access_token(token)
        except entra.TokenRefused as refusal:
            raise exceptions.AuthenticationFailed(str(refusal)) from None
        except entra.KeysUnavailable as error:
            raise KeysUnavailable(error.retry_after) from None
        tenant = self._tenant(request, claims)
        # Entra writes `scp` as one space-separated string and `roles` as a list of strings;
        # a token (even a correctly signed one) that says otherwise grants nothing.
        if "scp" in claims:
            if not isinstance(claims["scp"], str):
                raise exceptions.AuthenticationFailed(
                    "Malformed token: 'scp' must be a space-separated string of permissions"
                )
            return self._user_context(tenant, claims)
        if "roles" in claims and not (
            isinstance(claims["roles"], list) and all(isinstance(r, str) for r in claims["roles"])
        ):
            raise exceptions.AuthenticationFailed(
                "Malformed token: 'roles' must be a list of permission names"
            )
        user, credential = self._application_context(tenant, claims)
        from accounts.services import application_seen  # services import this module's words

        application_seen(application=user, ip=origin_of(request).ip)
        return user, credential

    @staticmethod
    def _tenant(request, claims) -> Tenant:
        """The tenant the token's directory (`tid`) is connected to, which must be the one
        whose address was called (if a tenant's address was)."""
        tenant = Tenant.objects.filter(entra_tenant_id=uuid.UUID(str(claims["tid"]))).first()
        if tenant is None:
            raise exceptions.AuthenticationFailed(
                "Unknown tenant: the token's directory is not connected to this portal"
            )
        tenant_host = getattr(request._request, "tenant_host", None)
        if tenant_host is not None and (tenant.slug, tenant.region) != tenant_host:
            raise exceptions.AuthenticationFailed("The token is for another tenant's portal")
        return tenant

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api", error="invalid_token"'

    @staticmethod
    def _application_context(tenant: Tenant, claims: dict[str, Any]):
        if "roles" not in claims:
            raise exceptions.AuthenticationFailed(
                "The token grants no permissions: neither 'roles' nor 'scp'"
            )
        app_id = str(claims.get("azp") or claims.get("appid") or "")
        if not app_id:
            raise exceptions.AuthenticationFailed("The token does not name its application")
        capabilities = entra.capabilities_from_claim(claims["roles"])
        application = EntraApplication(tenant=tenant, app_id=app_id, capabilities=capabilities)
        return application, EntraCredential("application", capabilities, claims)

    @staticmethod
    def _user_context(tenant: Tenant, claims: dict[str, Any]):
        try:
            oid = uuid.UUID(str(claims.get("oid")))
        except ValueError:
            raise exceptions.AuthenticationFailed(
                "A user-context token needs the user's object id (oid)"
            ) from None
        user = User.objects.in_tenant(tenant.pk).filter(entra_object_id=oid).first()
        if user is None:
            raise exceptions.AuthenticationFailed(
                "Unknown user: no portal user of this tenant has the token's object id"
            )
        if user.is_deprovisioned:
            raise exceptions.PermissionDenied(DEPROVISIONED_OWNER)
        capabilities = entra.capabilities_from_claim(claims["scp"]) & user.capabilities
        return user, EntraCredential("user", capabilities, claims)
