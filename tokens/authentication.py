from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from accounts.authentication import DEPROVISIONED_OWNER
from core.http import origin_of
from core.throttling import leave_for_cache
from tokens import keys
from tokens.models import EventReason
from tokens.selectors import token_by_digest
from tokens.services import token_mark_used, token_refused, token_reuse_detected
from tokens.usage import use_ops

INVALID_TOKEN = "Invalid token"  # noqa: S105 (a message, not a secret)
TOKEN_EXPIRED = "Token expired"  # noqa: S105


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <value>`. A header of another scheme is left to the next class;
    a malformed, unknown or revoked value is a 401 "Invalid token"; a value whose checksum
    fails never reaches the database. A valid token costs one indexed SELECT, and a write of
    last_used_at at most once a minute."""

    keywords: tuple[str, ...] = ("token",)
    count_usage = True  # the benchmark measures the path without it too

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION")
        if not header:
            return None
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() not in self.keywords:
            if scheme.lower() == "bearer" and keys.kind_of(credentials.strip()) is not None:
                raise exceptions.AuthenticationFailed(
                    "API tokens go in 'Authorization: Token <value>'; Bearer is for Entra tokens"
                )
            return None
        value = credentials.rstrip()
        if keys.kind_of(value) is None:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)

        token = token_by_digest(keys.digest(value))
        if token is None:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        # A known token refused: the log says so (at most once a minute per token).
        if token.revoked_at is not None:
            self._refuse(request, token, EventReason.REVOKED)
        now = timezone.now()
        if token.expires_at is not None and token.expires_at <= now:
            self._refuse(request, token, EventReason.EXPIRED, TOKEN_EXPIRED)
        if token.grace_until is not None and token.grace_until <= now:
            # Rotated out and past its grace: whoever holds it now should not. Its chain goes.
            token_reuse_detected(token=token, origin=origin_of(request),
                                 how="used after its grace period")  # fmt: skip
            self._refuse(request, token, EventReason.REUSED)
        user = token.user
        if user.tenant_id != token.tenant_id:
            self._refuse(request, token, EventReason.OTHER_TENANT)
        tenant_host = getattr(request._request, "tenant_host", None)
        if tenant_host is not None and (token.tenant.slug, token.tenant.region) != tenant_host:
            self._refuse(request, token, EventReason.OTHER_TENANT)
        if user.is_deprovisioned:
            token_refused(
                token=token, reason=EventReason.OWNER_DEPROVISIONED, origin=origin_of(request)
            )
            raise exceptions.PermissionDenied(DEPROVISIONED_OWNER)
        origin = origin_of(request)
        token_mark_used(token=token, origin=origin, at=now)
        if self.count_usage and (ops := use_ops(token.pk, origin, now)):
            # Counted in the cache, in the throttle's round trip (tokens/usage.py): most
            # requests only add to this process's tally, and leave nothing to send.
            leave_for_cache(request, ops)
        return user, token

    @staticmethod
    def _refuse(request, token, reason: str, message: str = INVALID_TOKEN):
        token_refused(token=token, reason=reason, origin=origin_of(request))
        raise exceptions.AuthenticationFailed(message)

    def authenticate_header(self, request) -> str:
        # DRF asks the first authentication class for the challenge of every 401; a refused
        # Entra bearer token is answered in its own scheme.
        if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("bearer"):
            return 'Bearer realm="api", error="invalid_token"'
        return 'Token realm="api"'
