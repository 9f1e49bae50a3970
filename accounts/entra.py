"""Microsoft Entra ID: what its tokens mean here.

Sign-in (accounts/sso.py) and bearer tokens on the API (accounts/authentication.py) both ask
this module where Entra is, which issuers and audiences to accept, how app roles map to
portal roles, and which signing keys are current. The key set lives in Django's cache, so
several app servers share one copy (Redis in production) and a key rotation costs one fetch.
"""

import json
import logging
import urllib.error
import urllib.request
import uuid
from typing import Any

import jwt
from django.conf import settings
from django.core.cache import cache

from accounts.models import Tenant
from accounts.roles import Capability, Role

logger = logging.getLogger(__name__)

ALGORITHM = "RS256"
JWKS_CACHE_KEY = "entra:jwks:{url}"
JWKS_TTL = 24 * 3600
# A token naming a key id we do not have makes us fetch the key set again (Entra rotates its
# keys), but the key id is the caller's choice, so the bounds are not per key id: at most one
# such refetch per tenant in JWKS_REFETCH_PER_TENANT seconds, and one for all tenants together
# in JWKS_REFETCH_GLOBAL. Entra publishes a new key weeks before it signs with it, so a
# legitimate token almost never needs a refetch at all.
JWKS_REFETCH_PER_TENANT = 300
JWKS_REFETCH_GLOBAL = 60
# After a failed fetch nobody waits for Entra again for this long: the answer is a 503 at once.
JWKS_FAILURE_BACKOFF = 30
_FETCHING = "entra:jwks:fetching"
_DOWN = "entra:jwks:down"

# What Entra may grant through `roles` (application context) or `scp` (user context). The
# documentation writes them both `Investigation.read` and `Investigation.Read`, so they are
# matched case-insensitively. Tokens.manage_all is a portal role's, never an Entra grant.
GRANTABLE = {
    capability.value.lower(): capability
    for capability in Capability
    if capability is not Capability.TOKENS_MANAGE_ALL
}


class TokenRefused(Exception):
    """An Entra token that must not be honoured; the message says why, for the caller."""


class KeysUnavailable(Exception):
    """Entra's key set could not be fetched: our problem, not the caller's. `retry_after` is
    how many seconds the caller should wait."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Entra's signing keys are unavailable; retry after {retry_after}s")
        self.retry_after = retry_after


def sso_enabled() -> bool:
    return bool(settings.ENTRA_CLIENT_ID and settings.ENTRA_CLIENT_SECRET)


def authority_url(tenant: str) -> str:
    """Entra's base URL for a directory: a tenant id, or `organizations` for any work account."""
    return f"{settings.ENTRA_AUTHORITY}/{tenant}"


def issuers(tid: str) -> tuple[str, str]:
    """The v2 and v1 issuers of a directory's tokens."""
    return (
        f"{settings.ENTRA_AUTHORITY}/{tid}/v2.0",
        settings.ENTRA_V1_ISSUER.format(tid=tid),
    )


def api_audiences() -> list[str]:
    """Audiences a bearer token may name: the API's application id and its App ID URI."""
    app_id = settings.ENTRA_API_APP_ID
    if not app_id:
        return []
    return [app_id, settings.ENTRA_API_APP_ID_URI or f"api://{app_id}"]


def role_from_claim(roles: Any) -> Role | None:
    """The portal role that the id_token's `roles` claim grants through ENTRA_ROLE_MAP (app
    role value -> portal role, highest privilege first, so a user holding several app roles
    gets the first listed), or None if it grants none."""
    if not isinstance(roles, list):
        return None
    granted = {value for value in roles if isinstance(value, str)}
    for app_role, role in settings.ENTRA_ROLE_MAP.items():
        if app_role in granted:
            return Role(role)
    return None


def capabilities_from_claim(values: Any) -> frozenset[Capability]:
    """Capabilities named by a `roles` list or a space-separated `scp` string; anything else
    (other apps' scopes, Tokens.manage_all, garbage) grants nothing."""
    if isinstance(values, str):
        values = values.split()
    if not isinstance(values, list):
        return frozenset()
    return frozenset(
        GRANTABLE[value.lower()]
        for value in values
        if isinstance(value, str) and value.lower() in GRANTABLE
    )


# --- Signing keys ------------------------------------------------------------------------------


def _fetch_jwks(url: str) -> dict[str, dict]:
    try:
        with urllib.request.urlopen(url, timeout=settings.ENTRA_HTTP_TIMEOUT) as response:  # noqa: S310 (URL from settings)
            document = json.load(response)
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list):
            raise ValueError("the document has no list of keys")
    except (urllib.error.URLError, OSError, ValueError) as error:
        logger.warning("Entra's signing keys could not be fetched from %s: %s", url, error)
        cache.set(_DOWN, 1, JWKS_FAILURE_BACKOFF)
        raise KeysUnavailable(JWKS_FAILURE_BACKOFF) from error
    by_kid = {key["kid"]: key for key in keys if isinstance(key, dict) and "kid" in key}
    cache.set(JWKS_CACHE_KEY.format(url=url), by_kid, JWKS_TTL)
    return by_kid


def _connected(tid: Any) -> bool:
    try:
        directory = uuid.UUID(str(tid))
    except ValueError:
        return False
    return Tenant.objects.filter(entra_tenant_id=directory).exists()


def _claimed_tenant(token: str) -> Any:
    """The `tid` a token claims, before its signature is checked (read only to decide whether
    it may cause a refetch)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return claims.get("tid") if isinstance(claims, dict) else None


def _may_refetch(token: str) -> bool:
    """Whether this token, by the tenant it claims (not yet verified), may cause a refetch
    now: the tenant must be connected, and both its and the global budget must allow."""
    if cache.get(_DOWN):
        return False
    tid = _claimed_tenant(token)
    if not _connected(tid):
        return False
    tenant_key = f"entra:jwks:refetch:{str(tid).lower()}"
    if not cache.add(tenant_key, 1, JWKS_REFETCH_PER_TENANT):
        return False
    if not cache.add("entra:jwks:refetch", 1, JWKS_REFETCH_GLOBAL):
        cache.delete(tenant_key)  # the tenant's turn was not used
        return False
    return True


def signing_key(kid: str, token: str) -> dict | None:
    """The published key with this id: from the shared cache; fetched by one request at a
    time when the cache is empty; fetched once more when the id is new, within the bounds
    above. Raises KeysUnavailable (with the seconds to wait) when Entra cannot be asked."""
    url = settings.ENTRA_JWKS_URL
    keys = cache.get(JWKS_CACHE_KEY.format(url=url))
    if keys is None:
        if cache.get(_DOWN):
            raise KeysUnavailable(JWKS_FAILURE_BACKOFF)  # Entra failed a moment ago
        if not cache.add(_FETCHING, 1, int(settings.ENTRA_HTTP_TIMEOUT) + 1):
            raise KeysUnavailable(5)  # another request is asking Entra right now
        try:
            keys = _fetch_jwks(url)
        finally:
            cache.delete(_FETCHING)
    if kid in keys:
        return keys[kid]
    if _may_refetch(token):
        return _fetch_jwks(url).get(kid)
    return None


# --- Bearer tokens -----------------------------------------------------------------------------

_REFUSALS = [
    (jwt.ExpiredSignatureError, "Token expired"),
    (jwt.ImmatureSignatureError, "Token not yet valid"),
    (jwt.InvalidSignatureError, "Invalid token signature"),
    (jwt.InvalidAudienceError, "Wrong audience: the token was not issued for this API"),
    (jwt.InvalidIssuedAtError, "Token issued in the future"),
]


def _key_id(token: str) -> str:
    """The signing key a token names (`kid`), once its header says RS256."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenRefused("Malformed bearer token: not a JWT") from None
    if header.get("alg") != ALGORITHM:
        raise TokenRefused(f"Unsupported token algorithm {header.get('alg')!r}: only RS256")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenRefused("The token names no signing key (kid)")
    return kid


def verify_access_token(token: str) -> dict[str, Any]:
    """The claims of an Entra access token for this API, checked: RS256 signature by a
    published key, expiry (with a small leeway), audience, issuer (v1 or v2) and tenant id.
    Raises TokenRefused with a message that says what was wrong."""
    jwk = signing_key(_key_id(token), token)
    if jwk is None:
        raise TokenRefused("Invalid token signature: unknown signing key")
    try:
        key = jwt.PyJWK({**jwk, "alg": ALGORITHM}).key
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=api_audiences(),
            leeway=settings.ENTRA_LEEWAY_SECONDS,
            options={"require": ["exp", "iss", "aud", "tid"]},
        )
    except jwt.MissingRequiredClaimError as error:
        raise TokenRefused(f"The token has no '{error.claim}' claim") from None
    except jwt.PyJWTError as error:
        for kind, message in _REFUSALS:
            if isinstance(error, kind):
                raise TokenRefused(message) from None
        raise TokenRefused("Malformed bearer token") from None
    tid = claims["tid"]
    try:
        uuid.UUID(str(tid))
    except ValueError:
        raise TokenRefused("The token's tenant id (tid) is not a GUID") from None
    if claims["iss"] not in issuers(str(tid)):
        raise TokenRefused("Wrong issuer: not Entra ID for the token's tenant")
    return claims
