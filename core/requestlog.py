"""One line per request for an operator, and the request id that ties a user's complaint to
it.

Every request gets `request.id`: the `X-Request-ID` a trusted proxy sent (when
TRUSTED_CLIENT_IP_HEADER or TRUSTED_PROXY_COUNT says one is in front, and the value is a
plain token of at most 128 characters), made here otherwise (32 hex digits). Every
response carries it in `X-Request-ID`, and every API error body in `request_id`
(core/exceptions.py), so that a user can quote it. Then one line on the `portal.request`
logger: method, route (the URL pattern, never the path, which may hold an upload's
secret), status, duration, tenant, the token's id and kind when one was used (never its
value), and the client's address as the trusted proxy reports it. LOG_FORMAT=json makes it
(and every other log line) one JSON object (config/logging.py); plain text otherwise.
Health checks are answered before this middleware and are not logged."""

import json
import logging
import re
import time
import uuid

from django.conf import settings

from core import metrics
from core.http import origin_of

logger = logging.getLogger("portal.request")

# Methods counted by name; any other a client makes up is counted as "other".
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


def trusts_proxy() -> bool:
    return bool(settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER or settings.ALLAUTH_TRUSTED_PROXY_COUNT)


def request_id_of(request) -> str:
    sent = request.META.get("HTTP_X_REQUEST_ID", "")
    if sent and trusts_proxy() and REQUEST_ID.fullmatch(sent):
        return sent
    return uuid.uuid4().hex


def route_of(match) -> str | None:
    """The URL pattern that matched, as a path ("/api/v1/tokens/<str:token_id>/"); the data
    API's regular expressions ("^api/v1/alerts/?$") written the same way."""
    if match is None:
        return None
    route = match.route.removeprefix("^").removesuffix("$")
    return "/" + (route[:-2] + "/" if route.endswith("/?") else route)


def request_fields(request, status: int, seconds: float) -> dict:
    match = getattr(request, "resolver_match", None)
    tenant_host = getattr(request, "tenant_host", None)
    fields = {
        "request_id": request.id,
        "method": request.method,
        "route": route_of(match),
        "status": status,
        "duration_ms": round(seconds * 1000, 1),
        "tenant": ".".join(tenant_host) if tenant_host else None,
        "client_ip": origin_of(request).ip,
    }
    credential = getattr(request, "auth", None)
    if (describe := getattr(credential, "log_fields", None)) is not None:
        fields.update(describe())  # an API token: its id and kind (tokens/models/token.py)
    return fields


def quote_in_error(response, request_id: str) -> None:
    """Adds `request_id` to a JSON error body (`{"detail": ..., "request_id": ...}`: the API's,
    and the pages' answers to their scripts), whoever wrote it (a view, the exception
    handler, a middleware, a handler); other bodies (SCIM's own error schema, a page) are
    left as they are."""
    if response.streaming or response.get("Content-Type") != "application/json":
        return
    try:
        body = json.loads(response.content)
    except ValueError:
        return
    if isinstance(body, dict) and "detail" in body:
        body["request_id"] = request_id
        response.content = json.dumps(body).encode()
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = request_id_of(request)
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request.id
        if response.status_code >= 400:
            quote_in_error(response, request.id)
        seconds = time.perf_counter() - started
        fields = request_fields(request, response.status_code, seconds)
        route = fields["route"] or metrics.NO_ROUTE
        method = request.method if request.method in METHODS else "other"
        metrics.REQUESTS.labels(method, route, str(response.status_code)).inc()
        metrics.LATENCY.labels(route).observe(seconds)
        logger.info(
            "%s %s %s %.1f ms",
            fields["method"],
            fields["route"] or "(no route)",
            fields["status"],
            fields["duration_ms"],
            extra={"request_fields": fields},
        )
        return response
