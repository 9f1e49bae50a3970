"""What every portal page's navigation shows of the tokens: how many approval requests wait
(for full admins, counted up to 100, and only when the page shows the navigation)."""

from accounts.permissions import request_capabilities
from accounts.roles import Capability
from tokens.approval import pending_in

SHOWN_UP_TO = 99


def approvals(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(user, "tenant_id", None) is None:
        return {}

    def waiting() -> int:
        if Capability.TOKENS_MANAGE_ALL not in request_capabilities(request):
            return 0
        return pending_in(user.tenant_id).order_by()[: SHOWN_UP_TO + 1].count()

    # A callable: the template calls it only on a page that shows the navigation.
    return {"approvals_waiting": waiting, "approvals_shown_up_to": SHOWN_UP_TO}
