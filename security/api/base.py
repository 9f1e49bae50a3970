"""What every view of the data API shares: the capability sets, the view bases, the list
envelope and 404s for ids. Request bodies are input serializers (core/bodies.py), declared
as each view's InputSerializer."""

from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasCapabilityFor
from accounts.roles import Capability
from core.http import close_with
from core.parsers import FormParser, JSONParser, MultiPartParser
from core.schema import ApiAutoSchema
from security import listing, records
from security.filters import (
    INT64,
    MAX_LIMIT,
    SCAN_LIMITS,
    ListRequest,
    build_q,
    operator_schema,
    parse_list_request,
)

C = Capability
INVESTIGATION_READ = (C.INVESTIGATION_READ, C.INVESTIGATION_MANAGE)
ALERTS_READ = (C.INVESTIGATION_READ, C.INVESTIGATION_MANAGE, C.DISCOVERY_READ, C.DISCOVERY_MANAGE)
ALERTS_MANAGE = (C.INVESTIGATION_MANAGE, C.DISCOVERY_MANAGE)
DISCOVERY_READ = (C.DISCOVERY_READ, C.DISCOVERY_MANAGE)
SUBNETS_READ = (C.INVESTIGATION_READ, C.INVESTIGATION_MANAGE, C.SETTINGS_READ, C.SETTINGS_MANAGE)


class DataApiView(APIView):
    permission_classes = [HasCapabilityFor]
    # An action's body is a JSON object, as the reference shows it; lists (ResourceList) also
    # take forms, for `limit` as the reference sends it.
    parser_classes = [JSONParser]
    capabilities: dict[str, tuple[Capability, ...]] = {}

    @property
    def tenant(self):
        # A portal user or an Entra application: both have a tenant here (IsActiveUser).
        user: Any = self.request.user
        return user.tenant

    def actor(self) -> str:
        """Who did it, as alerts and feedback record it: a user name or an application id."""
        return self.request.user.username


def page_of(queryset, list_request: ListRequest) -> tuple[list, dict]:
    """One page's rows, and the rest of the reference's envelope. `total` is exact up to
    DATA_API_COUNT_BOUND and then says so with `moreThanTotal`: counting past it would read
    every matching row."""
    skip, limit = list_request.skip, list_request.limit
    rows = list(queryset[skip : skip + limit + 1])
    has_next = len(rows) > limit
    rows = rows[:limit]
    if skip == 0 and not has_next:
        total, more = len(rows), False
    else:
        bound = settings.DATA_API_COUNT_BOUND
        # Counting ids only: an index answers it, without reading a record.
        counted = queryset.order_by().values("pk")[: bound + 1].count()
        total, more = min(counted, bound), counted > bound
    return rows, {"hasNext": has_next, "max": total, "total": total, "moreThanTotal": more}


def envelope(queryset, list_request: ListRequest, present) -> dict:
    """One page in the reference's envelope, each row as `present` makes its record."""
    rows, rest = page_of(queryset, list_request)
    return {"data": [present(row) for row in rows], **rest}


# Records per piece of a streamed answer: pieces of some 300 KB.
STREAM_RECORDS = 100


def _pieces(texts: Iterator[str], rest: Callable[[], dict]) -> Iterator[str]:
    yield '{"data":['
    batch: list[str] = []
    separator = ""
    for text in texts:
        batch.append(text)
        if len(batch) == STREAM_RECORDS:
            yield separator + ",".join(batch)
            batch.clear()
            separator = ","
    if batch:
        yield separator + ",".join(batch)
    ending = records.json_text(rest())
    yield "]" + ("," + ending[1:] if ending != "{}" else "}")


def streamed_envelope(
    texts: Iterator[str], rest: Callable[[], dict], close: Callable[[], None] | None = None
) -> StreamingHttpResponse:
    """The list envelope written as it goes: `{"data":[` and the records, already JSON text,
    a hundred at a time, then the envelope's other keys, `rest()`, read once the records
    are written (a scan's next cursor is its last record's). Nothing holds the whole answer;
    compressed on the way out when the client accepts it (core/compression.py). `close`
    (what frees the records' cursor) runs when the response is closed, sent or not."""
    response = StreamingHttpResponse(_pieces(texts, rest), content_type="application/json")
    response.compressible = True  # type: ignore[attr-defined]
    if close is not None:
        close_with(response, close)
    return response


def wants_json(request) -> bool:
    """Whether the answer is rendered as JSON (not the browsable API's page)."""
    return getattr(request, "accepted_renderer", None) is not None and (
        request.accepted_renderer.format == "json"
    )


RECORD = {"type": "object", "description": "A record as the reference shows it."}


def record_page(record: dict = RECORD) -> dict:
    """The answer with one record in a list envelope (activity feedback's)."""
    return {
        "type": "object",
        "properties": {
            "total": {"type": "integer"},
            "hasNext": {"type": "boolean"},
            "data": {"type": "array", "items": record},
        },
    }


def filters_schema(fields: dict) -> dict:
    """`filters` in the list language, each field with the operators it takes and what each
    operator takes (security/filters.py)."""
    return {
        "type": "object",
        "description": 'The list language: {"<field>": {"<operator>": <value or values>}}.',
        "properties": {
            name: {
                "type": "object",
                "properties": {
                    operator: operator_schema(field, operator)
                    for operator in sorted(field.operators)
                },
                "additionalProperties": False,
                "minProperties": 1,
            }
            for name, field in fields.items()
        },
        "additionalProperties": False,
    }


class ResourceListSchema(ApiAutoSchema):
    """A list's operations, from what the view accepts: its filter fields with their
    operators, its sort fields, and (activities) scan mode."""

    view: Any

    def _scan(self) -> bool:
        return getattr(self.view, "scan", None) is not None

    def _filters(self) -> dict:
        return filters_schema(self.view.fields)

    def _limit_text(self) -> str:
        text = f"Records per page, 1 to {MAX_LIMIT} ({MAX_LIMIT} unless given)"
        if self._scan():
            text += f"; {SCAN_LIMITS[0]} to {SCAN_LIMITS[1]} in scan mode"
        return text + "."

    def get_override_parameters(self):
        if self.method != "GET":
            return super().get_override_parameters()
        # Scan mode is documented in the body (POST), where its bounds can be stated.
        return [
            OpenApiParameter("filters", str, description="The filters object as JSON text."),
            OpenApiParameter(
                "skip",
                {"type": "integer", "minimum": 0, "maximum": INT64},
                description="Records to skip (0 unless given).",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                description=self._limit_text(),
            ),
            OpenApiParameter("sortField", str, enum=sorted(self.view.sorts)),
            OpenApiParameter("sortDirection", str, enum=["asc", "desc"]),
        ]

    def _get_parameters(self) -> list:
        # filters as JSON text in the query string: its schema is the list language's.
        parameters = super()._get_parameters()
        for parameter in parameters:
            if parameter["name"] == "filters" and parameter["in"] == "query":
                del parameter["schema"]
                parameter["content"] = {"application/json": {"schema": self._filters()}}
        return parameters

    def get_request_serializer(self):
        if self.method != "POST":
            return None
        properties = {
            "filters": {**self._filters(), "nullable": True},
            "skip": {"type": "integer", "minimum": 0, "maximum": INT64},
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_LIMIT,
                "description": self._limit_text(),
            },
            "sortField": {
                "type": "string",
                "enum": [*sorted(self.view.sorts), None],
                "nullable": True,
            },
            "sortDirection": {"type": "string", "enum": ["asc", "desc", None], "nullable": True},
        }
        # Fields it does not know are ignored, as the reference's clients send more.
        if not self._scan():
            return {
                "application/json": {
                    "type": "object",
                    "properties": properties,
                    "additionalProperties": True,
                }
            }
        # The bounds of limit depend on isScan: two shapes, exactly one of which a body has.
        scan = {
            **properties,
            "sortField": {
                "type": "string",
                "enum": ["date", None],
                "nullable": True,
                "description": "Scan mode goes in date order.",
            },
            "isScan": {"type": "boolean", "enum": [True]},
            "limit": {**properties["limit"], "minimum": SCAN_LIMITS[0], "maximum": SCAN_LIMITS[1]},
            "skip": {
                "type": "integer",
                "enum": [0],
                "description": "Scan mode resumes with nextQueryFilters, not skip.",
            },
        }
        paged = {**properties, "isScan": {"type": "boolean", "enum": [False]}}
        return {
            "application/json": {
                "oneOf": [
                    {"type": "object", "properties": paged, "additionalProperties": True},
                    {
                        "type": "object",
                        "properties": scan,
                        "required": ["isScan"],
                        "additionalProperties": True,
                    },
                ]
            }
        }

    def get_response_serializers(self):
        page = {
            "data": {"type": "array", "items": RECORD},
            "hasNext": {"type": "boolean"},
            "max": {"type": "integer"},
            "total": {"type": "integer", "description": "Exact up to a bound, then the bound."},
            "moreThanTotal": {"type": "boolean", "description": "More match than total."},
        }
        if self._scan():
            page["nextQueryFilters"] = {
                "type": "object",
                "description": "Scan mode: the filters to send for the next page.",
            }
        return {200: {"type": "object", "properties": page, "required": ["data", "hasNext"]}}


class ResourceList(DataApiView):
    """GET or POST, with the list body as JSON (GET too), form fields or query parameters."""

    schema = ResourceListSchema()

    # The reference shows `limit` sent URL-encoded, as form data and in a JSON body.
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    model: Any = None  # the resource's model class
    fields: dict = {}
    sorts: dict = {}
    default_sort: tuple = ("date", "desc")
    resource = ""

    def base_queryset(self):
        return self.model.objects.for_tenant(self.tenant)

    def present(self, row) -> dict:
        raise NotImplementedError

    def narrowed(self, list_request: ListRequest):
        queryset = self.base_queryset().filter(
            build_q(self.resource, self.fields, list_request.filters)
        )
        order = listing.ordering(
            self.sorts, list_request.sort_field, list_request.sort_direction, self.default_sort
        )
        return queryset.order_by(*order)

    def get(self, request):
        list_request = parse_list_request(request)
        response = Response(envelope(self.narrowed(list_request), list_request, self.present))
        response.compressible = True  # type: ignore[attr-defined]  # core/compression.py
        return response

    post = get


def one_or_404(queryset, **lookup):
    row = queryset.filter(**lookup).first()
    if row is None:
        raise exceptions.NotFound("Not found.")
    return row


def object_id_or_404(pk: str) -> str:
    # Ids are 24 hex characters; anything else cannot name a record.
    if len(pk) != 24 or not all(c in "0123456789abcdef" for c in pk.lower()):
        raise exceptions.NotFound("Not found.")
    return pk.lower()


# The characters of every id form a record is listed with: ObjectIds, 64-hex hashes,
# `<tenant>_<app>_<guid>`, `<tenant>_<timestamp>_<32 hex>`, and a file's `<site>|<item>`.
_ID_CHARACTERS = frozenset("0123456789abcdefABCDEF-_|ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ.")


def record_id_or_404(pk: str, max_length: int = 100) -> str:
    """`pk` as it names a record in the URL, whichever form the list showed it in (the
    lookup is exact; a 24-hex ObjectId in any case, as before); a 404 for what cannot be
    an id at all, before any query."""
    if not 0 < len(pk) <= max_length or not set(pk) <= _ID_CHARACTERS:
        raise exceptions.NotFound("Not found.")
    if len(pk) in (24, 64) and all(c in "0123456789abcdefABCDEF" for c in pk):
        return pk.lower()
    return pk
