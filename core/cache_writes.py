"""The cache writes a request leaves for its one round trip to the cache.

Every request gets `request.cache_writes` (CacheWritesMiddleware). A step that has
something to record in the cache but need not wait for it adds it there (token
authentication: the token's usage counts, tokens/usage.py); the throttle sends what is
there with its own counter in one pipelined round trip (core/throttling.py); and once the
response is made, the middleware sends whatever no throttle took (views that limit
nothing, such as the SIEM feed and SCIM). So a request costs at most one round trip to the
cache however much it records, and nothing left is lost."""

from core.cache import run_batch


class PendingCacheWrites:
    """core.cache.run_batch's ops, waiting for the request's round trip."""

    def __init__(self) -> None:
        self._ops: list[tuple] = []

    def add(self, ops: list[tuple]) -> None:
        self._ops += ops

    def take(self) -> list[tuple]:
        """The ops waiting, which the caller now sends; none are left."""
        ops, self._ops = self._ops, []
        return ops


class CacheWritesMiddleware:
    """Gives each request its `cache_writes`, and sends what is left of them once the
    response is made."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.cache_writes = PendingCacheWrites()
        response = self.get_response(request)
        if ops := request.cache_writes.take():
            run_batch(ops)
        return response
