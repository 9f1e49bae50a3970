"""30 requests a minute per tenant (API_THROTTLE_PER_MINUTE; 0 turns it off), counted in
Django's cache: with one shared cache (Redis) every app server counts against the same
number. A fixed one-minute window, counted with the cache's atomic increment.

The throttle's round trip to the cache also carries what the request's earlier steps left
for the cache (`leave_for_cache`: a token's usage counts, tokens/usage.py), so a request
costs one round trip however much it records. Views that are not throttled send those with
`CacheWritesOnly`."""

import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from core.cache import COUNT, run_batch

_PENDING = "pending_cache_ops"


def leave_for_cache(request, ops: list[tuple]) -> None:
    """Adds cache writes (core.cache.run_batch's ops) to the request's one round trip."""
    django_request = getattr(request, "_request", request)
    pending = getattr(django_request, _PENDING, None)
    if pending is None:
        pending = []
        setattr(django_request, _PENDING, pending)
    pending += ops


def _take(request) -> list[tuple]:
    django_request = getattr(request, "_request", request)
    pending = getattr(django_request, _PENDING, None) or []
    setattr(django_request, _PENDING, [])
    return pending


class CacheWritesOnly(BaseThrottle):
    """Throttles nothing; sends what the request left for the cache."""

    def allow_request(self, request, view) -> bool:
        if ops := _take(request):
            run_batch(ops)
        return True


class TenantRateThrottle(BaseThrottle):
    # Where the window's time comes from: tests give it a clock they move by hand.
    clock = staticmethod(time.time)

    def allow_request(self, request, view) -> bool:
        limit = settings.API_THROTTLE_PER_MINUTE
        tenant_id = getattr(request.user, "tenant_id", None)
        ops = _take(request)
        if not limit or tenant_id is None:
            if ops:
                run_batch(ops)
            return True
        length = settings.API_THROTTLE_WINDOW
        now = self.clock()
        window = int(now // length)
        key = f"throttle:tenant:{tenant_id}:{window}"
        count = run_batch([(COUNT, key, length + 5), *ops])[0]
        self._wait = (window + 1) * length - now
        return count <= limit

    def wait(self) -> float:
        return self._wait
