"""30 requests a minute per tenant (API_THROTTLE_PER_MINUTE; 0 turns it off), counted in
Django's cache: with one shared cache (Redis) every app server counts against the same
number. A fixed one-minute window, counted with the cache's atomic increment.

The throttle's round trip to the cache also carries the request's `cache_writes`
(core/cache_writes.py: a token's usage counts, left there by authentication), so a
request costs one round trip however much it records."""

import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from core import metrics
from core.cache import COUNT, run_batch


class TenantRateThrottle(BaseThrottle):
    # Where the window's time comes from: tests give it a clock they move by hand.
    clock = staticmethod(time.time)

    def allow_request(self, request, view) -> bool:
        limit = settings.API_THROTTLE_PER_MINUTE
        tenant_id = getattr(request.user, "tenant_id", None)
        ops = request.cache_writes.take()
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
        if count > limit:
            metrics.THROTTLED.inc()
            return False
        return True

    def wait(self) -> float:
        return self._wait
