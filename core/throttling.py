"""30 requests a minute per tenant (API_THROTTLE_PER_MINUTE; 0 turns it off), counted in
Django's cache: with one shared cache (Redis) every app server counts against the same
number. A fixed one-minute window, counted with the cache's atomic increment."""

import time

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import BaseThrottle

from core.cache import ResilientRedisCache, local_count


def count_request(key: str, lifetime: int) -> int:
    """Adds one to the window's counter and returns it: on Redis one pipelined round trip,
    with this process's memory standing in while Redis is out of reach (core/cache.py);
    elsewhere Django's cache API."""
    cache = caches["default"]
    if isinstance(cache, ResilientRedisCache):
        return cache.count(key, lifetime)
    return local_count(cache, key, lifetime)


class TenantRateThrottle(BaseThrottle):
    # Where the window's time comes from: tests give it a clock they move by hand.
    clock = staticmethod(time.time)

    def allow_request(self, request, view) -> bool:
        limit = settings.API_THROTTLE_PER_MINUTE
        tenant_id = getattr(request.user, "tenant_id", None)
        if not limit or tenant_id is None:
            return True
        length = settings.API_THROTTLE_WINDOW
        now = self.clock()
        window = int(now // length)
        key = f"throttle:tenant:{tenant_id}:{window}"
        count = count_request(key, length + 5)
        self._wait = (window + 1) * length - now
        return count <= limit

    def wait(self) -> float:
        return self._wait
