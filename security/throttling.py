"""30 requests a minute per tenant (API_THROTTLE_PER_MINUTE; 0 turns it off), counted in
Django's cache: with one shared cache (Redis) every app server counts against the same
number. A fixed one-minute window, counted with the cache's atomic increment."""

import time

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import BaseThrottle


def count_request(key: str, lifetime: int) -> int:
    """Adds one to the window's counter and returns it. On Redis, one round trip (INCR and
    EXPIRE in a pipeline; Django's own incr() asks EXISTS first); elsewhere, Django's cache
    API (incr, and add() for the window's first request, atomic so racing servers both
    count)."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        pipeline = cache._cache.get_client(full_key, write=True).pipeline()
        pipeline.incr(full_key)
        pipeline.expire(full_key, lifetime)
        count, _ = pipeline.execute()
        return count
    try:
        return cache.incr(key)
    except ValueError:
        return 1 if cache.add(key, 1, lifetime) else cache.incr(key)


class TenantRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        limit = settings.API_THROTTLE_PER_MINUTE
        tenant_id = getattr(request.user, "tenant_id", None)
        if not limit or tenant_id is None:
            return True
        length = settings.API_THROTTLE_WINDOW
        now = time.time()
        window = int(now // length)
        key = f"throttle:tenant:{tenant_id}:{window}"
        count = count_request(key, length + 5)
        self._wait = (window + 1) * length - now
        return count <= limit

    def wait(self) -> float:
        return self._wait
