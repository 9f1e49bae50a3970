"""The portal's alerts: the list (newest first, filtered by severity, status and kind,
searched by title, in pages; the filters in the URL), and the page of one alert, where an
alert's `URL` leads (as real alerts link to their page on the portal), with its closing for
those who may. Anyone of the tenant who may read alerts sees them."""

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import tenant_user_required
from accounts.permissions import request_capabilities
from core.pagination import BoundedPaginator
from security import services
from security.api.base import ALERTS_MANAGE, ALERTS_READ
from security.enumerations import Resolution, Severity
from security.models import Alert

OBJECT_ID = re.compile(r"[0-9a-fA-F]{24}")
ENTITY_KINDS = {
    "account": "Account",
    "user": "User",
    "service": "App",
    "ip": "IP address",
    "country": "Country",
    "file": "File",
    "policyRule": "Policy",
    "device": "Device",
    "groupTag": "Group",
}


def _refuse_unless_reader(request) -> None:
    if not set(ALERTS_READ) & request_capabilities(request):
        raise PermissionDenied(
            "Reading alerts needs the Investigation.read or Discovery.read permission."
        )


def can_close(request) -> bool:
    return bool(set(ALERTS_MANAGE) & request_capabilities(request))


# The kinds of alert the list filters by: who raised it (Alert.source).
KINDS = [
    ("portal", "Token governance (this portal)"),
    ("policy", "Policies and anomaly detection"),
]
PAGE_SIZE = 50


class AlertFilterForm(forms.Form):
    """The list's filters, from the query string; an unknown value is a form error that the
    page says, and the list shows every alert instead."""

    severity = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any severity"), *Severity.choices],
    )
    status = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any status"), *Resolution.choices],
    )
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *KINDS])
    search = forms.CharField(required=False, max_length=100, strip=True)

    def apply(self, alerts):
        data = self.cleaned_data
        if data["severity"] is not None:
            alerts = alerts.filter(severity=data["severity"])
        if data["status"] is not None:
            alerts = alerts.filter(resolution_status=data["status"])
        if data["kind"]:
            alerts = (
                alerts.filter(source="portal")
                if data["kind"] == "portal"
                else (alerts.exclude(source="portal"))
            )
        if data["search"]:
            alerts = alerts.filter(title__icontains=data["search"])
        return alerts


@require_GET
@tenant_user_required
def alerts(request):
    """The tenant's alerts, newest first, 50 a page; filters and search in the URL."""
    _refuse_unless_reader(request)
    rows = Alert.objects.for_tenant(request.user.tenant_id)
    form = AlertFilterForm(request.GET)
    if form.is_valid():
        rows = form.apply(rows)
    page = BoundedPaginator(rows.order_by("-timestamp", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "filter_errors": form.errors,
        "page_obj": page,
        "query_without_page": query.urlencode(),
    }
    return render(request, "security/alerts.html", context)


CLOSE_LABELS = {
    "benign": "Benign",
    "false_positive": "False positive",
    "true_positive": "True positive",
}


class CloseForm(forms.Form):
    """Closing an alert, as the API's close_benign, close_false_positive and
    close_true_positive do (security.services.alerts_close)."""

    kind = forms.ChoiceField(
        label="Close as",
        choices=list(CLOSE_LABELS.items()),
    )
    reason = forms.TypedChoiceField(
        label="Why",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", "—"),
            (2, "Benign: actual severity is lower"),
            (5, "Benign: confirmed with the user"),
            (6, "Benign: triggered by a test"),
            (0, "False positive: not of interest"),
            (1, "False positive: too many similar alerts"),
            (3, "False positive: the alert is not accurate"),
            (4, "Other"),
        ],
    )
    comment = forms.CharField(
        label="Comment", required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )


@require_POST
@tenant_user_required
def alert_close(request, pk: str):
    """Closes one alert, for those who may (Investigation.manage or Discovery.manage)."""
    _refuse_unless_reader(request)
    if not can_close(request):
        raise PermissionDenied(
            "Closing alerts needs the Investigation.manage or Discovery.manage permission."
        )
    found = _one(request, pk)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.alerts_close(
                alerts=Alert.objects.filter(pk=found.pk),
                kind=form.cleaned_data["kind"],
                by=request.user.username,
                comment=form.cleaned_data["comment"],
                reason_id=form.cleaned_data["reason"],
            )
        except ValidationError:
            form.add_error("reason", "That reason does not go with this way of closing.")
        else:
            closed_as = CLOSE_LABELS[form.cleaned_data["kind"]].lower()
            messages.success(request, f"The alert was closed as {closed_as}.")
            return redirect("security:alert", pk=found.public_id)
    return _alert_page(request, found, form, status=400)


def _one(request, pk: str) -> Alert:
    found = None
    if OBJECT_ID.fullmatch(pk):
        found = (
            Alert.objects.for_tenant(request.user.tenant_id).filter(public_id=pk.lower()).first()
        )
    if found is None:
        raise Http404("No alert of this tenant has that id.")
    return found


@require_GET
@tenant_user_required
def alert(request, pk: str):
    _refuse_unless_reader(request)
    return _alert_page(request, _one(request, pk), CloseForm())


def _alert_page(request, found: Alert, form: CloseForm, status: int = 200):
    entities = [
        (
            ENTITY_KINDS.get(str(entity.get("type")), str(entity.get("type"))),
            entity.get("label") or entity.get("id"),
        )
        for entity in found.entities
        if isinstance(entity, dict)
    ]
    context = {"alert": found, "entities": entities, "form": form, "can_close": can_close(request)}
    return render(request, "security/alert.html", context, status=status)
