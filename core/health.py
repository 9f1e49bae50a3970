"""Health and readiness for load balancers and orchestrators (and Prometheus's `/metrics`,
core/metrics.py), answered before any other
middleware (no host check, no HTTPS redirect, no session, no tenant, no throttle, no
request log), so that they cost next to nothing and say only what they are asked.

- `GET /healthz`: the process answers. Touches neither the database nor the cache.
- `GET /readyz`: the process can serve: the database answers (within DB_CONNECT_TIMEOUT,
  and at once while core/postgresql's back-off is in force), every migration is applied,
  and the cache answers or its documented fallback (this process's memory) is on. 503 with
  a JSON body naming what is not ready.

Neither names a version, a host or an error message."""

from django.core.cache import caches
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST

from core import metrics
from core.cache import ResilientRedisCache

HEALTH_PATHS = ("/healthz", "/readyz")
# What HealthMiddleware answers itself: no request id, no request log line.
ANSWERED_FIRST = (*HEALTH_PATHS, "/metrics")
_HEADERS = {"Cache-Control": "no-store"}
_migrated: set[str] = set()  # aliases found fully migrated (migrations are never undone live)


def database_state(alias: str = "default") -> str:
    """ "ok", or "unavailable" if the database cannot be reached now."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        connections[alias].close_if_unusable_or_obsolete()
        return "unavailable"
    return "ok"


def migrations_state(alias: str = "default") -> str:
    """ "ok", or "pending" while a migration of this code is not applied to the database."""
    if alias in _migrated:
        return "ok"
    executor = MigrationExecutor(connections[alias])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return "pending"
    _migrated.add(alias)
    return "ok"


def cache_state() -> str:
    """ "ok" (Redis answers), "fallback" (Redis out of reach: this process's memory stands
    in, as documented), or "local" (no shared cache configured)."""
    cache = caches["default"]
    if not isinstance(cache, ResilientRedisCache):
        return "local"
    return "ok" if cache.ping() else "fallback"


def readiness() -> tuple[bool, dict[str, str]]:
    checks = {"database": database_state()}
    checks["migrations"] = migrations_state() if checks["database"] == "ok" else "unknown"
    checks["cache"] = cache_state()
    ready = checks["database"] == "ok" and checks["migrations"] == "ok"
    return ready, checks


def health_response(path: str) -> JsonResponse:
    if path == "/healthz":
        return JsonResponse({"status": "ok"}, headers=_HEADERS)
    ready, checks = readiness()
    if ready:
        return JsonResponse({"status": "ready", "checks": checks}, headers=_HEADERS)
    # What failed: the migrations are "unknown" when the database did not answer.
    failed = [name for name in ("database", "migrations") if checks[name] not in ("ok", "unknown")]
    not_ready = ", ".join(failed)
    return JsonResponse(
        {"detail": f"Not ready: {not_ready}.", "checks": checks},
        status=503,
        headers={**_HEADERS, "Retry-After": "5"},
    )


def metrics_response(request) -> HttpResponse:
    address = request.META.get("REMOTE_ADDR", "")
    if not metrics.allowed(address):
        return JsonResponse(
            {"detail": "Metrics are served to the addresses in METRICS_ALLOWED_IPS only."},
            status=403,
            headers=_HEADERS,
        )
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST, headers=_HEADERS)


class HealthMiddleware:
    """The outermost middleware: answers GET and HEAD on HEALTH_PATHS, and GET /metrics,
    itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/metrics" and request.method == "GET":
            return metrics_response(request)
        if request.path_info in HEALTH_PATHS and request.method in ("GET", "HEAD"):
            response = health_response(request.path_info)
            if request.method == "HEAD":
                response.content = b""
            return response
        return self.get_response(request)
