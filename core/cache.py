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
from collections.abc import Callable

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

from core import metrics

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
        metrics.fallback("cache", True)
        logger.warning(
            "Redis unreachable (%s): this process uses its own memory for %ss",
            type(error).__name__,
            self.retry_seconds,
        )

    def _succeeded(self) -> None:
        """Redis answered: if it had not, the fallback is over."""
        if self._down_until:
            self._down_until = 0.0
            metrics.fallback("cache", False)
            logger.warning("Redis answers again")

    def ping(self) -> bool:
        """Whether Redis answers now; False while the fallback is in force (asked again only
        once its wait is over), and a failed ping starts it."""
        if not self.available:
            return False
        try:
            self.pipeline().ping().execute()
        except RedisError as error:
            self._failed(error)
            return False
        self._succeeded()
        return True

    def _call(self, name: str, *args, **kwargs):
        if self.available:
            try:
                result = getattr(super(), name)(*args, **kwargs)
            except RedisError as error:
                self._failed(error)
            else:
                self._succeeded()
                return result
        return getattr(self.fallback, name)(*args, **kwargs)

    def pipeline(self):
        """A pipeline on the primary server, without MULTI/EXEC (counters need no transaction):
        through one client kept per cache instance, since building a redis-py client costs
        more than the round trip (Django's get_client() builds one per call)."""
        client = self.__dict__.get("_primary")
        if client is None:
            client = self._primary = self._cache.get_client(None, write=True)
        return client.pipeline(transaction=False)

    def count(self, key: str, lifetime: int) -> int:
        """Adds one to a counter that lives `lifetime` seconds and returns it: one round trip
        (INCR and EXPIRE pipelined; Django's incr() would ask EXISTS first)."""
        if self.available:
            try:
                full_key = self.make_and_validate_key(key)
                pipeline = self.pipeline()
                pipeline.incr(full_key)
                pipeline.expire(full_key, lifetime)
                count = pipeline.execute()[0]
            except RedisError as error:
                self._failed(error)
            else:
                self._succeeded()
                return count
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


# --- batches: several writes (or reads) to the shared cache in one round trip -------------------

COUNT, ADD, PUT, MAP_PUT, GET, MAP_GET, DECREASE, DELETE = (
    "count",
    "add",
    "put",
    "map_put",
    "get",
    "map_get",
    "decrease",
    "delete",
)


def run_batch(ops: list[tuple]) -> list:
    """Runs `ops` on the default cache, on Redis as one pipelined round trip (this process's
    memory standing in while Redis is out of reach), and returns one result per op:
    (COUNT, key, lifetime) → the new count; (ADD, key, n, lifetime) → the count plus n;
    (PUT, key, value, lifetime); (MAP_PUT, key, field, value, lifetime) → sets one field of
    a map; (GET, key) → the value or None; (MAP_GET, key) → {field: value}; (DECREASE, key,
    n); (DELETE, key)."""
    from django.core.cache import caches

    cache = caches["default"]
    if isinstance(cache, ResilientRedisCache):
        if cache.available:
            try:
                results = _redis_batch(cache, ops)
            except RedisError as error:
                cache._failed(error)
            else:
                cache._succeeded()
                return results
        return [_local_op(cache.fallback, op) for op in ops]
    return [_local_op(cache, op) for op in ops]


# Each op in a Redis pipeline: the commands it queues, and how many results they give.
def _queue_count(pipeline, key, op, serializer) -> int:
    pipeline.incr(key)
    pipeline.expire(key, op[2])
    return 2


def _queue_add(pipeline, key, op, serializer) -> int:
    pipeline.incrby(key, op[2])
    pipeline.expire(key, op[3])
    return 2


def _queue_put(pipeline, key, op, serializer) -> int:
    pipeline.set(key, serializer.dumps(op[2]), ex=op[3])
    return 1


def _queue_map_put(pipeline, key, op, serializer) -> int:
    pipeline.hset(key, op[2], op[3])
    pipeline.expire(key, op[4])
    return 2


def _queue_get(pipeline, key, op, serializer) -> int:
    pipeline.get(key)
    return 1


def _queue_map_get(pipeline, key, op, serializer) -> int:
    pipeline.hgetall(key)
    return 1


def _queue_decrease(pipeline, key, op, serializer) -> int:
    pipeline.decrby(key, op[2])
    return 1


def _queue_delete(pipeline, key, op, serializer) -> int:
    pipeline.delete(key)
    return 1


_QUEUE: dict[str, Callable[..., int]] = {
    COUNT: _queue_count,
    ADD: _queue_add,
    PUT: _queue_put,
    MAP_PUT: _queue_map_put,
    GET: _queue_get,
    MAP_GET: _queue_map_get,
    DECREASE: _queue_decrease,
    DELETE: _queue_delete,
}


def _redis_batch(cache: ResilientRedisCache, ops: list[tuple]) -> list:
    serializer = cache._cache._serializer  # type: ignore[attr-defined]  # Django's own
    pipeline = cache.pipeline()
    spans = []  # how many pipeline results each op produced
    for op in ops:
        if op[0] not in _QUEUE:
            raise ValueError(op[0])
        spans.append(_QUEUE[op[0]](pipeline, cache.make_and_validate_key(op[1]), op, serializer))
    raw, results, position = pipeline.execute(), [], 0
    for op, span in zip(ops, spans, strict=True):
        value = raw[position]
        position += span
        if op[0] == GET:
            value = None if value is None else serializer.loads(value)
        elif op[0] == MAP_GET:
            value = {k.decode(): v.decode() for k, v in value.items()}
        results.append(value)
    return results


# Each op through Django's cache API (a map is a dict stored under its key).
def _local_add(cache, key, op):
    try:
        return cache.incr(key, op[2])
    except ValueError:
        return op[2] if cache.add(key, op[2], op[3]) else cache.incr(key, op[2])


def _local_map_put(cache, key, op):
    mapping = cache.get(key) or {}
    mapping[op[2]] = str(op[3])
    return cache.set(key, mapping, op[4])


def _local_get(cache, key, op):
    value = cache.get(key)
    return int(value) if isinstance(value, int) else value


def _local_decrease(cache, key, op):
    try:
        return cache.decr(key, op[2])
    except ValueError:
        return 0


_LOCAL: dict[str, Callable] = {
    COUNT: lambda cache, key, op: local_count(cache, key, op[2]),
    ADD: _local_add,
    PUT: lambda cache, key, op: cache.set(key, op[2], op[3]),
    MAP_PUT: _local_map_put,
    GET: _local_get,
    MAP_GET: lambda cache, key, op: dict(cache.get(key) or {}),
    DECREASE: _local_decrease,
    DELETE: lambda cache, key, op: cache.delete(key),
}


def _local_op(cache, op: tuple):
    """The same op through Django's cache API."""
    if op[0] not in _LOCAL:
        raise ValueError(op[0])
    return _LOCAL[op[0]](cache, op[1], op)
