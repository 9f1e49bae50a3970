"""What every portal page's navigation shows of the alerts: how many high-severity alerts
are open (counted up to 100, and only when the page shows it and the person may read them)."""

from accounts.permissions import request_capabilities
from security.api.base import ALERTS_READ
from security.enumerations import Resolution, Severity
from security.models import Alert

SHOWN_UP_TO = 99


def alerts(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(user, "tenant_id", None) is None:
        return {}

    def open_high() -> int:
        if not set(ALERTS_READ) & request_capabilities(request):
            return 0
        open_alerts = Alert.objects.for_tenant(user.tenant_id).filter(
            severity=Severity.HIGH, resolution_status=Resolution.OPEN
        )
        return open_alerts.order_by()[: SHOWN_UP_TO + 1].count()

    # A callable: the template calls it only on a page that shows the navigation.
    return {"open_high_alerts": open_high, "alerts_shown_up_to": SHOWN_UP_TO}
