from rest_framework.permissions import BasePermission

from accounts.roles import Capability


def request_capabilities(request) -> frozenset[Capability]:
    """What this request may do: the one question every API view, page and template asks
    (a page's request has no credential, an API request may). The credential's capabilities
    when it carries its own (an API token carries its issuer's, read now; an Entra token those
    it was granted, within its user's), otherwise the signed-in user's; nothing for anyone
    else."""
    capabilities = getattr(getattr(request, "auth", None), "capabilities", None)
    if capabilities is None:
        user = request.user
        capabilities = user.capabilities if user.is_authenticated else frozenset()
    return capabilities


def request_can(request, capability: Capability) -> bool:
    """Whether the request may use `capability`; if it may, and its credential counts what
    it uses (an API token), the use is counted."""
    if capability not in request_capabilities(request):
        return False
    capability_used(request, capability)
    return True


def capability_used(request, capability: Capability) -> None:
    """A check of `capability` passed: the credential counts it, if it counts what it uses
    (an API token: tokens.models.ApiToken.capability_used, no write)."""
    counts = getattr(getattr(request, "auth", None), "capability_used", None)
    if counts is None:
        return
    ops = counts(capability.value if isinstance(capability, Capability) else capability)
    pending = getattr(getattr(request, "_request", request), "cache_writes", None)
    if ops and pending is not None:
        pending.add(ops)  # sent in the request's one round trip (core/cache_writes.py)


class IsActiveUser(BasePermission):
    """The default for every API view: a signed-in, provisioned user of a tenant, with a
    credential of a kind the view accepts (API tokens unless the view says otherwise)."""

    message = "Only active users of a tenant can call the API."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if user.tenant_id is None or user.is_deprovisioned:
            return False
        kind = getattr(request.auth, "kind", None)
        if kind is not None and kind not in getattr(view, "token_kinds", ("api",)):
            self.message = f"A token of kind '{kind}' cannot call this endpoint."
            return False
        return True


def has_capability(capability: Capability) -> type[BasePermission]:
    """A permission class requiring one capability, on top of IsActiveUser."""

    class HasCapability(IsActiveUser):
        message = f"This requires the {capability.value} permission."

        def has_permission(self, request, view) -> bool:
            return super().has_permission(request, view) and request_can(request, capability)

    HasCapability.__name__ = f"Has{capability.name.title().replace('_', '')}"
    return HasCapability


class IsPortalUser(IsActiveUser):
    """A person of the tenant (by session, API token or Entra token in user context), not an
    application: applications own no API tokens and have no role."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.user.pk is None:
            self.message = "An application (Entra token in application context) cannot do this."
            return False
        return True


class HasCapabilityFor(IsActiveUser):
    """The capability a view's `capabilities` table names for the request's method (any one
    of several, where the reference allows alternatives)."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method == "OPTIONS":
            return True
        method = "GET" if request.method == "HEAD" else request.method
        if request.method.lower() not in view.http_method_names or not hasattr(
            view, request.method.lower()
        ):
            # No such method here: let the view answer 405 with Allow, not a 403 that names
            # no permission. (A handler missing from `capabilities` is refused below.)
            return True
        needed = view.capabilities.get(method, ())
        held = request_capabilities(request)
        used = next((capability for capability in needed if capability in held), None)
        if used is None:
            names = " or ".join(capability.value for capability in needed)
            self.message = f"This requires the {names} permission."
            return False
        capability_used(request, used)
        return True
