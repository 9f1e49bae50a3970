"""One token's page, and its revocation (asked, then done)."""

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.decorators import tenant_user_required
from accounts.permissions import request_capabilities
from accounts.roles import Capability
from core.http import is_safe_redirect, origin_of
from tokens import lifecycle
from tokens.approval import decision_refusal
from tokens.charts import bars
from tokens.handover import handover_refusal
from tokens.least_privilege import used_against_granted
from tokens.lifecycle import Action
from tokens.models import ApiToken, Kind, TokenEvent
from tokens.services import token_revoke
from tokens.usage import usage_of
from tokens.views.responses import is_fetch, render_no_store
from tokens.views.table import with_actions, with_grace_notes

EVENTS_SHOWN = 50


@tenant_user_required
@require_http_methods(["GET"])
def detail(request, token_id: int):
    """One token: who generated it and when, its status, where it was last used from, its
    last 5 addresses, its requests per day over 30 days, and its events, newest first. Seen
    as the table is (a full admin: any token of the tenant, revoked ones too; others: their
    own)."""
    capabilities = request_capabilities(request)
    tokens = ApiToken.objects.in_any_state_for(request.user, capabilities, kind=None)
    token = (
        tokens.filter(pk=token_id)
        .select_related("user", "revoked_by", "created_by", "approved_by")
        .with_status()
        .first()
    )
    if token is None:
        raise Http404("No token of yours has that id.")
    with_actions(with_grace_notes([token]), request.user)
    now = timezone.now()
    usage = usage_of(token, now)
    chart, peak = bars(usage["requests_per_day"])
    events = TokenEvent.objects.filter(token=token).order_by("-created", "-id")[:EVENTS_SHOWN]
    context = {
        "token": token,
        "usage": usage,
        "chart": chart,
        "peak": peak,
        "total": sum(day["count"] for day in usage["requests_per_day"]),
        "events": events,
        "all_events": Capability.TOKENS_MANAGE_ALL in capabilities,
        "now": now,
        "can_rotate": token.kind == Kind.API and token.can_rotate,
        # Other kinds are revoked on their own pages (SIEM agents, log collectors, SCIM).
        "can_revoke": token.kind == Kind.API and token.can_revoke,
        "can_change": token.revoked_at is None,
        "can_narrow": token.kind == Kind.API and token.revoked_at is None,
        "evidence": used_against_granted(token, now),
        "can_decide": decision_refusal(token, request.user, now) is None,
        "can_hand_over": Capability.TOKENS_MANAGE_ALL in capabilities
        and not handover_refusal(token, now),
    }
    return render_no_store(request, "tokens/api_token_detail.html", context)


@tenant_user_required
@require_http_methods(["GET", "POST"])
def revoke(request, token_id: int):
    """Asks for confirmation naming the token and every value of it that still works (GET),
    then revokes it, its whole rotation chain with it (POST). A token already revoked is
    said to be, and nothing changes."""
    token = (
        ApiToken.objects.in_any_state_for_credential(
            request.user, request_capabilities(request), None
        )
        .filter(pk=token_id)
        .select_related("user")
        .first()
    )
    refused = token is not None and lifecycle.refusal(token, Action.REVOKE, timezone.now())
    if token is None or refused:
        message = refused.message if refused else "That token no longer exists."
        if is_fetch(request):
            return JsonResponse({"message": message}, status=409 if refused else 404)
        messages.error(request, message)
        return redirect("tokens:api-tokens")
    if request.method == "GET":
        others = [
            other
            for other in ApiToken.objects.chain(token).live().exclude(pk=token.pk)
            if other.state() in lifecycle.WORKING
        ]
        back = request.GET.get("next", "")
        back = back if is_safe_redirect(request, back) else reverse("tokens:api-tokens")
        context = {"token": token, "others": others, "back": back}
        return render(request, "tokens/api_token_revoke.html", context)
    token_revoke(token=token, by=request.user, origin=origin_of(request))
    message = f"The token “{token.name}” was revoked. Requests made with it now fail."
    if is_fetch(request):
        return JsonResponse({"message": message})
    messages.success(request, message)
    back = request.POST.get("next", "")
    if not is_safe_redirect(request, back):
        back = reverse("tokens:api-tokens")
    return redirect(back)
