"""Alerts: list, fetch, close (benign, false positive, true positive, and the deprecated
dismiss and resolve), mark read and unread."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from core.bodies import JsonTree, RequestBody, StrictBool, StrictInt, StrictText
from core.schema import ApiAutoSchema
from security import listing, records, services
from security.api.base import (
    ALERTS_MANAGE,
    ALERTS_READ,
    RECORD,
    DataApiView,
    ResourceList,
    filters_schema,
    object_id_or_404,
    one_or_404,
)
from security.filters import build_q
from security.models import Alert

# --- alerts ------------------------------------------------------------------------------------


class AlertListApi(ResourceList):
    capabilities = {"GET": ALERTS_READ, "POST": ALERTS_READ}
    model, resource = Alert, "alerts"
    fields, sorts = listing.ALERT_FIELDS, listing.ALERT_SORTS

    def present(self, alert):
        return records.alert_data(alert, self.tenant)


class AlertDetailApi(DataApiView):
    capabilities = {"GET": ALERTS_READ}

    @extend_schema(responses={200: RECORD})
    def get(self, request, pk: str):
        alert = one_or_404(Alert.objects.for_tenant(self.tenant), public_id=object_id_or_404(pk))
        return Response(records.alert_data(alert, self.tenant))


class AlertCloseSchema(ApiAutoSchema):
    """The body as each route takes it: the reasons its kind takes, and `filters` required
    (selecting something) where no alert is named by the path."""

    view: Any

    def get_request_serializer(self) -> Any:
        body = self._map_serializer(self.view.InputSerializer(), "request")
        _, reasons = services.CLOSE_KINDS[self.view.kind]
        body["properties"]["reasonId"] = (
            {**body["properties"]["reasonId"], "enum": [*sorted(reasons), None]}
            if reasons is not None
            else {"nullable": True, "enum": [None], "description": "Takes none."}
        )
        filters = {**filters_schema(listing.ALERT_FIELDS), "minProperties": 1}
        if "{" in self.path:
            body["properties"]["filters"] = {**filters, "nullable": True}
        else:
            body["properties"]["filters"] = filters
            body["required"] = ["filters"]
        return {"application/json": body}

    def body_required(self) -> bool:
        return "{" not in self.path  # filters, at least


class AlertCloseApi(DataApiView):
    """close_benign / close_false_positive / close_true_positive: the alerts that `filters`
    selects (it must select something: an empty filter would close every alert)."""

    schema = AlertCloseSchema()
    capabilities = {"POST": ALERTS_MANAGE}
    kind = ""

    class InputSerializer(RequestBody):
        filters = JsonTree(
            required=False,
            allow_null=True,
            help_text='The alerts to close, in the list language: {"id": {"eq": ["<id>"]}}.',
        )
        comment = StrictText(max_length=10_000)
        reasonId = StrictInt(
            help_text="close_benign: 2, 4, 5, 6; close_false_positive: 0, 1, 3, 4."
        )
        sendFeedback = StrictBool()
        feedbackText = StrictText(max_length=10_000)
        allowContact = StrictBool()
        contactEmail = StrictText(max_length=254)

        def validate(self, attrs):
            filters = attrs.get("filters")
            if not self.context["by_id"] and (not isinstance(filters, dict) or not filters):
                raise serializers.ValidationError(
                    {
                        "filters": 'filters is required, e.g. {"id": {"eq": ["<alert id>"]}}: '
                        "an empty filter would close every alert."
                    }
                )
            return attrs

    @extend_schema(
        responses={
            200: {
                "type": "object",
                "properties": {
                    "closed_<kind>": {
                        "type": "integer",
                        "description": "How many were closed now (closed_benign, ...).",
                    },
                    "alertsNotFound": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "Ids asked for that no alert of the tenant has.",
                    },
                },
            }
        }
    )
    def post(self, request, pk: str | None = None):
        body = self.InputSerializer.read(request, by_id=pk is not None)
        alerts = Alert.objects.for_tenant(self.tenant)
        asked_ids = None
        if pk is not None:  # the deprecated per-alert dismiss: the alert must exist
            alert = one_or_404(alerts, public_id=object_id_or_404(pk))
            alerts = alerts.filter(pk=alert.pk)
        else:
            filters = body["filters"]
            alerts = alerts.filter(build_q("alerts", listing.ALERT_FIELDS, filters))
            ids = (filters.get("id") or filters.get("ID") or {}).get("eq")
            if ids is not None:
                asked_ids = [ids] if isinstance(ids, str) else list(ids)
        feedback_keys = ("sendFeedback", "feedbackText", "allowContact", "contactEmail")
        result = services.alerts_close(
            alerts=alerts,
            kind=self.kind,
            by=self.actor(),
            comment=body["comment"],
            reason_id=body["reasonId"],
            feedback={key: body[key] for key in feedback_keys},
            asked_ids=asked_ids,
        )
        data: dict[str, object] = {f"closed_{self.kind}": result.closed}
        if result.not_found:
            data["alertsNotFound"] = result.not_found
        return Response(data)


class AlertMarkApi(DataApiView):
    capabilities = {"POST": ALERTS_MANAGE}
    read = True

    @extend_schema(request=None, responses={200: RECORD})
    def post(self, request, pk: str):
        alert = one_or_404(Alert.objects.for_tenant(self.tenant), public_id=object_id_or_404(pk))
        services.alert_mark(alert=alert, read=self.read)
        return Response(records.alert_data(alert, self.tenant))
