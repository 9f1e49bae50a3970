from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from core.http import origin_of
from core.metrics import TOKEN_CHECKS
from tokens import keys
from tokens.lifecycle import INVALID_TOKEN, Action, request_refusal
from tokens.lookup import token_by_digest
from tokens.refusals import token_refused
from tokens.services import token_mark_used
from tokens.usage import use_ops

ACCEPTED, INVALID = TOKEN_CHECKS.labels("accepted"), TOKEN_CHECKS.labels("invalid")


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <value>`. A header of another scheme is left to the next class;
    a malformed, unknown or revoked value is a 401 "Invalid token"; a value whose checksum
    fails never reaches the database. A valid token costs one indexed SELECT, and a write of
    last_used_at at most once a minute."""

    keywords: tuple[str, ...] = ("token",)
    count_usage = True  # the benchmark measures the path without it too

    def __init__(self, action: str = Action.USE) -> None:
        # What the request does with the token, for the lifecycle's answer
        # (tokens/lifecycle.py): a view that mints with it says so (TokenSelfRotateApi).
        self.action = action

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
        token = token_by_digest(keys.digest(value)) if keys.kind_of(value) else None
        if token is None:
            INVALID.inc()
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        now = timezone.now()
        host = getattr(request._request, "tenant_host", None)
        origin = origin_of(request)  # through the trusted proxy, never a header a client sets
        refused = request_refusal(token, self.action, now, host=host, ip=origin.ip)
        if refused is not None:
            TOKEN_CHECKS.labels(refused.reason).inc()
            # A known token refused: the log says so (at most once a minute per token), and
            # what the lifecycle says follows (an alert, a chain revoked).
            token_refused(token=token, refused=refused, origin=origin)
            if refused.status == 403:
                raise exceptions.PermissionDenied(refused.message)
            raise exceptions.AuthenticationFailed(refused.message)
        ACCEPTED.inc()
        token_mark_used(token=token, origin=origin, at=now)
        if self.count_usage and (ops := use_ops(token.pk, origin, now)):
            # Counted in the cache, in the request's one round trip (core/cache_writes.py):
            # most requests only add to this process's tally, and leave nothing to send.
            request.cache_writes.add(ops)
        return token.user, token

    def authenticate_header(self, request) -> str:
        # DRF asks the first authentication class for the challenge of every 401; a refused
        # Entra bearer token is answered in its own scheme.
        if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("bearer"):
            return 'Bearer realm="api", error="invalid_token"'
        return 'Token realm="api"'
