"""OpenAPI generation (drf-spectacular) for the whole API, so that client generators and
schema-driven fuzzers work from it.

Views are plain APIViews. A view's `InputSerializer` is its request body; its answers are
declared with `extend_schema(responses=...)` on the method, or by a schema class of its own
(the data API's lists). The errors every operation can answer are added here from what the
view is, each with the one error body (`{"detail": ...}`, core/exceptions.py): 400 where it
takes a body or parameters, 401 and 403 where it needs a credential, 404 where the path names
a record, 409 where the view says a change can conflict (`conflicts = True`), 429 where it is
throttled, and 503 everywhere (core/middleware.py's answer when a backing service falters)."""

import re
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from core.bodies import RequestBody, StrictFields


class ErrorSerializer(serializers.Serializer):
    """The one error body (its fields are given by get_fields: a field named `errors` would
    hide the serializer's own)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "detail": serializers.CharField(help_text="What went wrong, for a person to read."),
            "errors": serializers.DictField(
                required=False,
                help_text="Validation errors by field, where a body or a parameter was refused.",
            ),
            "request_id": serializers.CharField(
                help_text="The answer's X-Request-ID: quote it when you ask about this answer."
            ),
        }


def page_of(name: str, serializer: serializers.Serializer) -> serializers.Serializer:
    """A page of DRF's PageNumberPagination holding `serializer`'s records."""
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer,
        },
    )


def page_parameters(default: int, largest: int | None = None) -> list[OpenApiParameter]:
    """The `page` (and, if the list takes one, `page_size`: up to `largest`) of a
    PageNumberPagination list, as it takes them."""
    page = OpenApiParameter(
        "page",
        {"type": "integer", "minimum": 1},
        description="From 1; past the last page: 404 `Invalid page.`",
    )
    if largest is None:
        return [page]
    return [
        page,
        OpenApiParameter(
            "page_size",
            {"type": "integer", "minimum": 1},
            description=f"From 1 ({default}); more than {largest}: {largest}.",
        ),
    ]


ERRORS = {
    400: "The request is malformed, a value is refused, or the change is not allowed (a "
    "built-in range, your own account): `detail` names which.",
    401: "No credential, or one that is unknown, revoked, expired or malformed.",
    403: "The credential is valid but may not do this: `detail` names the permission.",
    404: "Nothing of this tenant has that id (on a paged list: no such page, `Invalid page.`).",
    414: "The address is too long (a long `filters` in the query string): send the list's "
    "body by POST.",
    409: "The change conflicts with the current state (a name taken, a race lost); nothing "
    "was written.",
    429: "Too many requests: wait as long as `Retry-After` says.",
    503: "A backing service (database, cache, Entra ID) is unavailable: retry after "
    "`Retry-After` seconds.",
}


class ApiAutoSchema(AutoSchema):
    error_serializer: Any = ErrorSerializer

    def get_operation_id(self) -> str:
        # One per path and method (the default names a list and a fetch alike "retrieve").
        path = self.path.strip("/").replace("{", "by_").replace("}", "")
        return re.sub(r"[^A-Za-z0-9]+", "_", path) + "_" + self.method.lower()

    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        # A view's nested InputSerializer is named for its view: AlertCloseApi's is
        # "AlertCloseRequest".
        owner, _, name = type(serializer).__qualname__.rpartition(".")
        if owner and name == "InputSerializer":
            return owner.removesuffix("Api") + "Request"
        return super().get_serializer_name(serializer, direction)

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> dict:
        # A body says whether it takes fields it does not know: the portal's own write
        # bodies refuse them (StrictFields), the data API's ignore them as the reference's
        # clients send more than each call reads (RequestBody). Other bodies are closed by
        # config/schema.closed_request_bodies.
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, RequestBody):
            schema["additionalProperties"] = not isinstance(serializer, StrictFields)
        return schema

    def body_required(self) -> bool:
        """Whether the operation needs a body (one without is a 400); DRF's bodies say it by
        their required fields, a body given as a schema by this."""
        return False

    def _get_request_body(self, direction: str = "request") -> Any:
        body = super()._get_request_body(direction)
        if body and self.body_required():
            body["required"] = True
        return body

    def _has_serializer(self) -> bool:
        return hasattr(self.view, "get_serializer") or hasattr(self.view, "serializer_class")

    def get_request_serializer(self) -> Any:
        if self._has_serializer():
            return super().get_request_serializer()
        if self.method in {"GET", "DELETE", "HEAD"}:
            return None
        return getattr(self.view, "InputSerializer", None)

    def get_response_serializers(self) -> Any:
        if self._has_serializer():
            return super().get_response_serializers()
        return OpenApiTypes.OBJECT

    def error_statuses(self) -> list[int]:
        view = self.view
        codes = [503]
        has_query = any(
            not isinstance(p, dict) and getattr(p, "location", "query") == "query"
            for p in self.get_override_parameters()
        )
        if self.method != "GET" or has_query:
            codes.append(400)
        if not any(
            isinstance(p, type) and issubclass(p, AllowAny) for p in view.permission_classes
        ):
            codes += [401, 403]
        paged = any(getattr(p, "name", None) == "page" for p in self.get_override_parameters())
        if "{" in self.path or (self.method == "GET" and paged):
            codes.append(404)
        if self.method == "GET" and any(
            getattr(p, "name", None) == "filters" for p in self.get_override_parameters()
        ):
            codes.append(414)
        if getattr(view, "conflicts", False) and self.method in {"POST", "PUT", "PATCH"}:
            codes.append(409)
        if view.throttle_classes:
            codes.append(429)
        return sorted(codes)

    def _get_response_bodies(self, direction: Any = "response") -> Any:
        responses = super()._get_response_bodies(direction)
        for code in self.error_statuses():
            if str(code) not in responses:
                # 414 comes from the HTTP server in front, before the application: no body.
                body = None if code == 414 else self.error_serializer
                answer = OpenApiResponse(response=body, description=ERRORS[code])
                responses[str(code)] = self._get_response_for_code(answer, str(code))
        return responses
