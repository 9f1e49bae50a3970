"""Activities: list and scan mode, fetch, feedback."""

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
    object_id_or_404,
    one_or_404,
    record_page,
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
    keyset on date and id: no row is skipped or repeated, however many share a time)."""

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
        if not list_request.is_scan:
            if cursor is not None:
                raise BadRequest(f"{cursors.SCAN_CURSOR} is only for scan mode (isScan).")
            return Response(envelope(self.narrowed(list_request), list_request, self.present))
        return Response(self.scan(list_request, cursor))

    post = get

    def scan(self, list_request: ListRequest, cursor) -> dict:
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
        rows = list(queryset.order_by(*order)[: list_request.limit + 1])
        has_next = len(rows) > list_request.limit
        rows = rows[: list_request.limit]
        data = {"data": [self.present(row) for row in rows], "hasNext": has_next}
        if has_next:
            data["nextQueryFilters"] = {
                **list_request.filters,
                cursors.SCAN_CURSOR: {"after": cursors.scan_cursor(rows[-1])},
            }
        return data


class ActivityDetailApi(DataApiView):
    capabilities = {"GET": INVESTIGATION_READ}

    @extend_schema(responses={200: RECORD})
    def get(self, request, pk: str):
        activity = one_or_404(
            Activity.objects.for_tenant(self.tenant), public_id=object_id_or_404(pk)
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
            public_id=object_id_or_404(pk),
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
