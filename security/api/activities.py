"""Activities: list and scan mode, fetch, feedback."""

import itertools
import json
from collections.abc import Iterator

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from core.bodies import RequestBody, StrictBool, StrictText
from core.exceptions import BadRequest
from security import cursors, listing, records, services
from security.api.base import (
    INVESTIGATION_READ,
    RECORD,
    C,
    DataApiView,
    ResourceList,
    envelope,
    one_or_404,
    page_of,
    record_id_or_404,
    record_page,
    streamed_envelope,
    wants_json,
)
from security.filters import (
    ListRequest,
    build_q,
    parse_list_request,
)
from security.models import Activity

# --- activities --------------------------------------------------------------------------------


class ActivityListApi(ResourceList):
    """Also scan mode (`isScan`): pages of 500 to 5000 in date order, each answer carrying the
    `nextQueryFilters` to send for the next one, which resume where this one stopped (a
    keyset on date and id: no row is skipped or repeated, however many share a time).

    The bulk path: an activity's record is stored as the JSON text it is served as
    (`Activity.record`), so a page or a scan step reads that text and joins it into the
    answer, written as it goes (streamed_envelope), never decoding a record. The browsable
    API's page (a browser asking for HTML) shows the same records decoded."""

    capabilities = {"GET": INVESTIGATION_READ, "POST": INVESTIGATION_READ}
    model, resource = Activity, "activities"
    fields, sorts = listing.ACTIVITY_FIELDS, listing.ACTIVITY_SORTS

    def base_queryset(self):
        # The record is the activity's own: no entity joined, its feedback not read.
        return super().base_queryset().defer("feedback")

    def present(self, activity):
        return records.activity_data(activity, self.tenant)

    def get(self, request):
        list_request = parse_list_request(request, scan_allowed=True)
        cursor = list_request.filters.pop(cursors.SCAN_CURSOR, None)
        if list_request.is_scan:
            return self.scan(list_request, cursor)
        if cursor is not None:
            raise BadRequest(f"{cursors.SCAN_CURSOR} is only for scan mode (isScan).")
        queryset = self.narrowed(list_request)
        if not wants_json(request):
            return Response(envelope(queryset, list_request, self.present))
        texts, rest = page_of(queryset.values_list("record", flat=True), list_request)
        prefix = records.activity_prefix(self.tenant)
        return streamed_envelope(
            (records.activity_text(text, prefix) for text in texts), lambda: rest
        )

    post = get

    def scan(self, list_request: ListRequest, cursor):
        if list_request.skip:
            raise BadRequest("Scan mode resumes with nextQueryFilters, not skip.")
        if list_request.sort_field not in (None, "date"):
            raise BadRequest("Scan mode goes in date order: sortField must be date.")
        descending = list_request.sort_direction != "asc"
        queryset = self.base_queryset().filter(
            build_q(self.resource, self.fields, list_request.filters)
        )
        if cursor is not None:
            queryset = queryset.filter(cursors.scan_resume_q(cursor, descending))
        order = ["-timestamp", "-id"] if descending else ["timestamp", "id"]
        step = ScanStep(
            queryset.order_by(*order).values_list("record", "timestamp", "id"),
            list_request,
            records.activity_prefix(self.tenant),
        )
        if not wants_json(self.request):
            return Response(step.decoded())
        return streamed_envelope(step.texts(), step.rest, step.close)


class ScanStep:
    """One step of a scan: its rows read a few hundred at a time (a server-side cursor on
    PostgreSQL), each written out as it comes; the row after the last tells whether there is
    a next step, and the last one where it resumes. The query runs before the answer starts,
    so that a database out of reach is a 503, not a broken answer."""

    def __init__(self, rows, list_request: ListRequest, prefix: str):
        self.limit = list_request.limit
        self.filters = list_request.filters
        self.prefix = prefix
        self.has_next = False
        self.last: tuple | None = None
        self.rows = rows[: self.limit + 1].iterator(chunk_size=500)
        self.first = next(self.rows, None)

    def texts(self) -> Iterator[str]:
        if self.first is None:
            return
        try:
            for count, row in enumerate(itertools.chain([self.first], self.rows)):
                if count == self.limit:
                    self.has_next = True
                    break
                self.last = row
                yield records.activity_text(row[0], self.prefix)
        finally:
            self.close()

    def close(self) -> None:
        """Closes the rows' cursor (a server-side one on PostgreSQL) now: once written, or
        when the response is closed unread (security.api.base.closing)."""
        self.rows.close()

    def rest(self) -> dict:
        data: dict = {"hasNext": self.has_next}
        if self.has_next and self.last is not None:
            _, timestamp, pk = self.last
            data["nextQueryFilters"] = {
                **self.filters,
                cursors.SCAN_CURSOR: {"after": cursors.scan_cursor_of(timestamp, pk)},
            }
        return data

    def decoded(self) -> dict:
        return {"data": [json.loads(text) for text in self.texts()], **self.rest()}


class ActivityDetailApi(DataApiView):
    capabilities = {"GET": INVESTIGATION_READ}

    @extend_schema(responses={200: RECORD})
    def get(self, request, pk: str):
        activity = one_or_404(
            Activity.objects.for_tenant(self.tenant), public_id=record_id_or_404(pk)
        )
        return Response(records.activity_data(activity, self.tenant))


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "integer"}]})
class FeedbackValue(serializers.Field):
    """A string or a number (stored as its text); the reference names it feedbackValue, some
    clients send feedback."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int):
            raise serializers.ValidationError(f"{self.field_name} must be a string or a number.")
        return str(data)

    def to_representation(self, value):
        return value


class ActivityFeedbackApi(DataApiView):
    capabilities = {"POST": (C.INVESTIGATION_MANAGE,)}

    class InputSerializer(RequestBody):
        feedbackValue = FeedbackValue(required=False, allow_null=True)
        feedback = FeedbackValue(
            required=False, allow_null=True, help_text="The same as feedbackValue."
        )
        feedbackText = StrictText(max_length=10_000)
        allowContact = StrictBool()
        contactEmail = StrictText(max_length=254)

    @extend_schema(responses={200: record_page()})
    def post(self, request, pk: str):
        activity = one_or_404(
            Activity.objects.for_tenant(self.tenant),
            public_id=record_id_or_404(pk),
        )
        body = self.InputSerializer.read(request)
        feedback = {
            "feedbackValue": body.get("feedbackValue", body.get("feedback")),
            "feedbackText": body["feedbackText"],
            "allowContact": body["allowContact"],
            "contactEmail": body["contactEmail"],
        }
        services.activity_feedback(activity=activity, feedback=feedback, by=self.actor())
        # The reference shows a list envelope as this answer.
        return Response(
            {"total": 1, "hasNext": False, "data": [records.activity_data(activity, self.tenant)]}
        )
