"""Settings > Security extensions > Token activity: the tenant's token events, and their
export as CSV."""

import csv
import io

from django.core.exceptions import PermissionDenied
from django.http import JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.decorators import tenant_user_required
from accounts.permissions import request_capabilities
from accounts.roles import Capability
from core.http import no_store
from core.pagination import BoundedPaginator
from tokens.filters import TokenEventFilter
from tokens.models import EventKind, Notice, TokenEvent
from tokens.views.responses import render_no_store

# --- the tenant's token activity -------------------------------------------------------------

ACTIVITY_PAGE_SIZE = 50
WAITING_SHOWN = 20  # e-mails waiting for the mail server, on the activity page
CSV_LIMIT = 100_000  # rows in one export: a month of a busy tenant's events


def _activity(request):
    """The tenant's events narrowed by the query string's filters (TokenEventFilter), newest
    first, and the filters' errors; for full admins only."""
    if Capability.TOKENS_MANAGE_ALL not in request_capabilities(request):
        raise PermissionDenied("The token activity of the tenant is for full admins.")
    events = TokenEvent.objects.for_tenant(request.user.tenant_id)
    filterset = TokenEventFilter(request.GET, queryset=events, request=request)
    if filterset.is_valid():
        return filterset, filterset.qs.order_by("-created", "-id"), {}
    return filterset, events.order_by("-created", "-id"), filterset.errors


@tenant_user_required
@require_http_methods(["GET"])
def activity(request):
    """Every token event of the tenant, filtered by kind, user, token and time in the URL,
    in pages of 50, with an export of the same selection as CSV."""
    filterset, events, errors = _activity(request)
    paginator = BoundedPaginator(events, ACTIVITY_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filterset": filterset,
        "filter_errors": errors,
        "page_obj": page,
        "query_without_page": query.urlencode(),
        "kinds": EventKind.choices,
        # E-mails to owners that the mail server has not taken yet (tokens/outbox.py).
        "waiting": Notice.objects.for_tenant(request.user.tenant_id)
        .waiting()
        .order_by("created", "id")[:WAITING_SHOWN],
    }
    return render_no_store(request, "tokens/token_activity.html", context)


def _csv_cell(value) -> str:
    """A value as a spreadsheet should read it: text, never a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@tenant_user_required
@require_http_methods(["GET"])
def activity_csv(request):
    """The activity page's selection (all its pages, up to CSV_LIMIT rows) as CSV."""
    _, events, errors = _activity(request)
    if errors:
        return JsonResponse(
            {"detail": " ".join(str(e) for errors_ in errors.values() for e in errors_)},
            status=400,
        )
    header = [
        "time",
        "kind",
        "reason",
        "token_id",
        "token_name",
        "token_kind",
        "token_last4",
        "actor",
        "actor_kind",
        "source_ip",
        "user_agent",
        "detail",
        "count",
    ]
    rows = events.values_list(
        "created",
        "kind",
        "reason",
        "token_id",
        "token_name",
        "token_kind",
        "token_suffix",
        "actor_label",
        "actor_kind",
        "source_ip",
        "user_agent",
        "detail",
        "count",
    )[:CSV_LIMIT]

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        for row in rows.iterator(chunk_size=2000):
            writer.writerow([row[0].isoformat(), *(_csv_cell(value) for value in row[1:])])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="token-activity-{stamp}.csv"'
    return no_store(response)
