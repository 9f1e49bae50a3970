"""Middleware for answers that no single view can give: a request that cannot be taken at
all (a NUL in its address), the API's errors as JSON whatever produced them, and a clear 503
when the database or the cache is out of reach rather than a 500."""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import get_template
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.http import is_api_path

logger = logging.getLogger(__name__)

# Errors that say a backing service is out of reach, not that the request or code is wrong.
UNAVAILABLE = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)
RETRY_AFTER = "5"
_FLAG = "core.unavailable"


def note_unavailable(sender, request=None, **kwargs) -> None:
    """got_request_exception: remembers that the request failed because a service was out
    of reach, so the outermost middleware answers 503 instead of the 500 built meanwhile."""
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, UNAVAILABLE):
        request.META[_FLAG] = type(error).__name__


def unavailable_response(request) -> HttpResponse:
    headers = {"Retry-After": RETRY_AFTER, "Cache-Control": "no-store"}
    if is_api_path(request.path):
        return JsonResponse(
            {"detail": "The service is temporarily unavailable; try again shortly."},
            status=503,
            headers=headers,
        )
    # Rendered without a request: context processors would ask the database again.
    body = get_template("503.html").render({})
    return HttpResponse(body, status=503, headers=headers)


def _json_error(response: HttpResponse) -> JsonResponse:
    json_response = JsonResponse({"detail": response.reason_phrase}, status=response.status_code)
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if header in response:
            json_response[header] = response[header]
    return json_response


class ResilienceMiddleware:
    """The outermost middleware. Under the API prefixes every error is JSON with a `detail`
    (Django's debug 404 page, CSRF's 403 page, ...); a NUL in the path or query string is a
    400 before anything reads it; a request that failed because PostgreSQL or Redis could not
    be reached is a 503 with Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            detail = "The address contains a NUL character."
            if is_api_path(request.path):
                return JsonResponse({"detail": detail}, status=400)
            return HttpResponse(detail, status=400, content_type="text/plain; charset=utf-8")
        response = self.get_response(request)
        if request.META.get(_FLAG):
            logger.warning("Answered 503: %s while serving the request", request.META[_FLAG])
            return unavailable_response(request)
        if (
            response.status_code >= 400
            and is_api_path(request.path)
            # DRF's own answers (JSON, or the browsable API's page for a browser) stay.
            and not hasattr(response, "accepted_renderer")
            and not response.get("Content-Type", "").startswith("application/")
        ):
            return _json_error(response)
        return response
