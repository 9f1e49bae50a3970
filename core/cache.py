"""The shared cache (Redis) with a fallback: when Redis does not answer within
REDIS_TIMEOUT_SECONDS, this process keeps what it would have kept there in its own memory
for REDIS_RETRY_SECONDS, then tries Redis again. So an outage or a hung Redis costs each
process one short wait per retry interval, never a 500 or a hung worker.

What that means for each use (docs/DECISIONS.md, "When Redis falters"):
- the per-tenant API throttle counts per process meanwhile (it still throttles, each server
  on its own share, and never refuses a request because the counter is out of reach);
- sign-in failure limits count per process meanwhile (still limited; per server);
- Entra's signing keys are kept per process meanwhile and fetched when missing (bounded as
  always by accounts/entra.py).
"""

import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

_METHODS = (
    "get",
    "set",
    "add",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
)


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        params = dict(params)
        self.retry_seconds = float(params.get("OPTIONS", {}).pop("retry_seconds", 10))
        super().__init__(server, params)
        # Named for this instance: LocMemCache instances of one name share their entries.
        self.fallback = LocMemCache(
            f"fallback:{server}:{id(self)}", {"OPTIONS": {"MAX_ENTRIES": 10_000}}
        )
        self._down_until = 0.0

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, error: Exception) -> None:
        self._down_until = time.monotonic() + self.retry_seconds
        logger.warning(
            "Redis unreachable (%s): this process uses its own memory for %ss",
            type(error).__name__,
            self.retry_seconds,
        )

    def _call(self, name: str, *args, **kwargs):
        if self.available:
            try:
                return getattr(super(), name)(*args, **kwargs)
            except RedisError as error:
                self._failed(error)
        return getattr(self.fallback, name)(*args, **kwargs)

    def count(self, key: str, lifetime: int) -> int:
        """Adds one to a counter that lives `lifetime` seconds and returns it: one round trip
        (INCR and EXPIRE pipelined; Django's incr() would ask EXISTS first)."""
        if self.available:
            try:
                full_key = self.make_and_validate_key(key)
                pipeline = self._cache.get_client(full_key, write=True).pipeline()
                pipeline.incr(full_key)
                pipeline.expire(full_key, lifetime)
                return pipeline.execute()[0]
            except RedisError as error:
                self._failed(error)
        return local_count(self.fallback, key, lifetime)


def local_count(cache, key: str, lifetime: int) -> int:
    """The same counter through Django's cache API (add() for the window's first request,
    atomic, so that racing requests both count)."""
    try:
        return cache.incr(key)
    except ValueError:
        return 1 if cache.add(key, 1, lifetime) else cache.incr(key)


def _delegate(name: str):
    def method(self, *args, **kwargs):
        return self._call(name, *args, **kwargs)

    method.__name__ = name
    return method


for _name in _METHODS:
    setattr(ResilientRedisCache, _name, _delegate(_name))
