"""30 requests a minute per tenant (API_THROTTLE_PER_MINUTE; 0 turns it off), counted in
Django's cache: with one shared cache (Redis) every app server counts against the same
number. A fixed one-minute window, counted with the cache's atomic increment."""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle


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
        # One round trip in the steady state: incr() on the window's counter; only the
        # window's first request creates it (add() is atomic, so two servers racing to
        # create it both count).
        try:
            count = cache.incr(key)
        except ValueError:
            count = 1 if cache.add(key, 1, length + 5) else cache.incr(key)
        self._wait = (window + 1) * length - now
        return count <= limit

    def wait(self) -> float:
        return self._wait
