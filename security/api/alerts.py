"""Alerts: list, fetch, close (benign, false positive, true positive, and the deprecated
dismiss and resolve), mark read and unread."""

from rest_framework.response import Response

from core.exceptions import BadRequest
from security import resources, services
from security.api.base import (
    ALERTS_MANAGE,
    ALERTS_READ,
    DataApiView,
    ResourceList,
    object_id_or_404,
    one_or_404,
    optional_bool,
    optional_int,
    optional_text,
)
from security.filters import (
    build_q,
)
from security.models import Alert

# --- alerts ------------------------------------------------------------------------------------


class AlertListApi(ResourceList):
    capabilities = {"GET": ALERTS_READ, "POST": ALERTS_READ}
    model, resource = Alert, "alerts"
    fields, sorts = resources.ALERT_FIELDS, resources.ALERT_SORTS

    def present(self, alert):
        return resources.alert_data(alert, self.tenant)


class AlertDetailApi(DataApiView):
    capabilities = {"GET": ALERTS_READ}

    def get(self, request, pk: str):
        alert = one_or_404(Alert.objects.for_tenant(self.tenant), public_id=object_id_or_404(pk))
        return Response(resources.alert_data(alert, self.tenant))


class AlertCloseApi(DataApiView):
    """close_benign / close_false_positive / close_true_positive: the alerts that `filters`
    selects (it must select something: an empty filter would close every alert)."""

    capabilities = {"POST": ALERTS_MANAGE}
    kind = ""

    def post(self, request, pk: str | None = None):
        body = request.data if isinstance(request.data, dict) else None
        if body is None:
            raise BadRequest("The body must be a JSON object.")
        alerts = Alert.objects.for_tenant(self.tenant)
        asked_ids = None
        if pk is not None:  # the deprecated per-alert dismiss: the alert must exist
            alert = one_or_404(alerts, public_id=object_id_or_404(pk))
            alerts = alerts.filter(pk=alert.pk)
        else:
            filters = body.get("filters")
            if not isinstance(filters, dict) or not filters:
                raise BadRequest(
                    'filters is required, e.g. {"id": {"eq": ["<alert id>"]}}: an empty filter '
                    "would close every alert."
                )
            alerts = alerts.filter(build_q("alerts", resources.ALERT_FIELDS, filters))
            ids = (filters.get("id") or filters.get("ID") or {}).get("eq")
            if ids is not None:
                asked_ids = [ids] if isinstance(ids, str) else list(ids)
        result = services.alerts_close(
            alerts=alerts,
            kind=self.kind,
            by=self.actor(),
            comment=optional_text(body, "comment", 10_000),
            reason_id=optional_int(body, "reasonId"),
            feedback=_feedback(body),
            asked_ids=asked_ids,
        )
        data: dict[str, object] = {f"closed_{self.kind}": result.closed}
        if result.not_found:
            data["alertsNotFound"] = result.not_found
        return Response(data)


def _feedback(body: dict) -> dict:
    return {
        "sendFeedback": optional_bool(body, "sendFeedback"),
        "feedbackText": optional_text(body, "feedbackText", 10_000),
        "allowContact": optional_bool(body, "allowContact"),
        "contactEmail": optional_text(body, "contactEmail", 254),
    }


class AlertMarkApi(DataApiView):
    capabilities = {"POST": ALERTS_MANAGE}
    read = True

    def post(self, request, pk: str):
        alert = one_or_404(Alert.objects.for_tenant(self.tenant), public_id=object_id_or_404(pk))
        services.alert_mark(alert=alert, read=self.read)
        return Response(resources.alert_data(alert, self.tenant))
