"""Settings > Security extensions > SIEM agents and Settings > Cloud Discovery > Log
collectors. Plain form pages (no JavaScript needed); the copy buttons come from portal.js.
A token's value is shown once, on the no-store page that follows adding or regenerating."""

from functools import wraps
from typing import cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from accounts.decorators import tenant_user_required
from accounts.permissions import request_can
from accounts.roles import Capability
from core.forms import SubmitOnceForm
from core.http import no_store, origin_of, route_url
from extensions import services
from extensions.models import LogCollector, OutputFormat, SiemAgent
from security.log_formats import LOG_FORMATS
from security.models import DataSource
from tokens.services import AlreadySubmitted


def capability_required(capability: Capability):
    def decorator(view):
        @wraps(view)
        @tenant_user_required
        def wrapped(request, *args, **kwargs):
            if not request_can(request, capability):
                raise PermissionDenied(f"This page needs the {capability.value} permission.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError shown beside the form's fields."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- SIEM agents -------------------------------------------------------------------------------

siem_required = capability_required(Capability.SETTINGS_MANAGE)


class SiemAgentForm(forms.Form):
    # The service checks the values, so this page and any other caller are told the same.
    name = forms.CharField(max_length=200, strip=False, required=False)
    output_format = forms.ChoiceField(
        label="Output format", choices=OutputFormat.choices, widget=forms.RadioSelect
    )
    send_alerts = forms.BooleanField(label="Alerts", required=False)
    send_activities = forms.BooleanField(label="Activities", required=False)


class SiemAgentNewForm(SubmitOnceForm, SiemAgentForm):
    pass


def _agent(request, agent_id: int) -> SiemAgent:
    return get_object_or_404(SiemAgent.objects.for_tenant(request.user.tenant), pk=agent_id)


@siem_required
def siem_agents(request):
    agents = SiemAgent.objects.for_tenant(request.user.tenant).select_related("token")
    return render(request, "extensions/siem_agents.html", {"agents": agents})


@require_http_methods(["GET", "POST"])
@siem_required
def siem_agent_new(request):
    form = SiemAgentNewForm(
        request.POST or None,
        initial={"output_format": OutputFormat.CEF, "send_alerts": True, "send_activities": True},
    )
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        key = fields.pop("submission")
        try:
            agent, value = services.siem_agent_create(
                user=request.user, submission_key=key, origin=origin_of(request), **fields
            )
        except ValidationError as error:
            apply_errors(form, error)
        except AlreadySubmitted as repeat:
            return _already_submitted(request, repeat, SIEM_FORM)
        else:
            return _token_page(request, agent, value, "added")
    return render(
        request, "extensions/form.html", {"form": form, **SIEM_FORM, "title": "Add SIEM agent"}
    )


@require_http_methods(["GET", "POST"])
@siem_required
def siem_agent_edit(request, agent_id: int):
    agent = _agent(request, agent_id)
    form = SiemAgentForm(
        request.POST or None,
        initial={
            "name": agent.name,
            "output_format": agent.output_format,
            "send_alerts": agent.send_alerts,
            "send_activities": agent.send_activities,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.siem_agent_update(agent=agent, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"SIEM agent {agent.name} was saved.")
            return redirect("extensions:siem-agents")
    return render(
        request, "extensions/form.html", {"form": form, **SIEM_FORM, "title": f"Edit {agent.name}"}
    )


SIEM_FORM = {
    "section": "Security extensions",
    "page": "SIEM agents",
    "back": "extensions:siem-agents",
    "submit": "Save",
}


@require_http_methods(["GET", "POST"])
@siem_required
def siem_agent_regenerate(request, agent_id: int):
    agent = _agent(request, agent_id)
    if request.method == "POST":
        value = services.siem_agent_regenerate(
            agent=agent, by=request.user, origin=origin_of(request)
        )
        return _token_page(request, agent, value, "regenerated")
    return _confirm(
        request,
        SIEM_FORM,
        f"Regenerate the token of {agent.name}?",
        "The current token stops working at once. Give the new one to the agent.",
        "Regenerate token",
    )


@require_http_methods(["GET", "POST"])
@siem_required
def siem_agent_delete(request, agent_id: int):
    agent = _agent(request, agent_id)
    if request.method == "POST":
        services.siem_agent_delete(agent=agent, by=request.user, origin=origin_of(request))
        messages.success(request, f"SIEM agent {agent.name} was deleted and its token revoked.")
        return redirect("extensions:siem-agents")
    return _confirm(
        request,
        SIEM_FORM,
        f"Delete SIEM agent {agent.name}?",
        "Its token is revoked at once and it receives no more events.",
        "Delete",
        danger=True,
    )


def _token_page(request, thing, value: str, what: str):
    is_agent = isinstance(thing, SiemAgent)
    context = {
        **(SIEM_FORM if is_agent else COLLECTOR_FORM),
        "thing": thing,
        "value": value,
        "what": what,
        "kind": "SIEM agent" if is_agent else "log collector",
        "tenant": request.user.tenant,
        "feed_url": route_url(request.user.tenant.custom_url, "extensions-api:siem-events"),
        "upload_url": route_url(request.user.tenant.custom_url, "data:discovery-upload-url"),
    }
    return no_store(render(request, "extensions/token_shown.html", context))


def _already_submitted(request, repeat: AlreadySubmitted, section: dict):
    """The answer to a form sent twice: what the first submission made, and what to do if its
    token was not copied. Nothing more was made."""
    context = {**section, "token": repeat.token}
    response = render(request, "extensions/already_submitted.html", context, status=409)
    return no_store(response)


def _confirm(request, section: dict, question: str, consequence: str, action: str, danger=False):
    context = {
        **section,
        "question": question,
        "consequence": consequence,
        "action": action,
        "danger": danger,
    }
    return render(request, "extensions/confirm.html", context)


# --- log collectors and data sources -----------------------------------------------------------

collectors_required = capability_required(Capability.DISCOVERY_MANAGE)

COLLECTOR_FORM = {
    "section": "Cloud Discovery",
    "page": "Log collectors",
    "back": "extensions:log-collectors",
    "submit": "Save",
}


class DataSourceForm(forms.Form):
    # The service checks the values, so this page and any other caller are told the same.
    name = forms.CharField(max_length=200, strip=False, required=False)
    log_format = forms.ChoiceField(label="Log format", choices=[(f, f) for f in LOG_FORMATS])
    receiver_type = forms.ChoiceField(
        label="Receiver type", choices=[("ftp", "FTP"), ("syslog", "Syslog")]
    )


class LogCollectorForm(forms.Form):
    # The service checks the values, so this page and any other caller are told the same.
    name = forms.CharField(max_length=200, strip=False, required=False)
    data_sources = forms.ModelMultipleChoiceField(
        label="Data sources",
        queryset=DataSource.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelMultipleChoiceField, self.fields["data_sources"])
        field.queryset = DataSource.objects.for_tenant(tenant).order_by("name")


class LogCollectorNewForm(SubmitOnceForm, LogCollectorForm):
    pass


def _collector(request, collector_id: int) -> LogCollector:
    return get_object_or_404(LogCollector.objects.for_tenant(request.user.tenant), pk=collector_id)


@collectors_required
def log_collectors(request):
    tenant = request.user.tenant
    return render(
        request,
        "extensions/log_collectors.html",
        {
            "collectors": LogCollector.objects.for_tenant(tenant).prefetch_related("data_sources"),
            "data_sources": DataSource.objects.for_tenant(tenant).order_by("name"),
        },
    )


@require_http_methods(["GET", "POST"])
@collectors_required
def data_source_new(request):
    form = DataSourceForm(request.POST or None, initial={"receiver_type": "ftp"})
    if request.method == "POST" and form.is_valid():
        try:
            source = services.data_source_create(tenant=request.user.tenant, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Data source {source.name} was added.")
            return redirect("extensions:log-collectors")
    return render(
        request,
        "extensions/form.html",
        {"form": form, **COLLECTOR_FORM, "title": "Add data source", "submit": "Add"},
    )


@require_http_methods(["GET", "POST"])
@collectors_required
def data_source_delete(request, source_id: int):
    source = get_object_or_404(DataSource.objects.for_tenant(request.user.tenant), pk=source_id)
    if request.method == "POST":
        services.data_source_delete(source=source)
        messages.success(request, f"Data source {source.name} was deleted.")
        return redirect("extensions:log-collectors")
    return _confirm(
        request,
        COLLECTOR_FORM,
        f"Delete data source {source.name}?",
        "Log collectors can no longer upload into it. Files already uploaded are kept.",
        "Delete",
        danger=True,
    )


@require_http_methods(["GET", "POST"])
@collectors_required
def log_collector_new(request):
    form = LogCollectorNewForm(request.POST or None, tenant=request.user.tenant)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        key = fields.pop("submission")
        try:
            collector, value = services.log_collector_create(
                user=request.user, submission_key=key, origin=origin_of(request), **fields
            )
        except ValidationError as error:
            apply_errors(form, error)
        except AlreadySubmitted as repeat:
            return _already_submitted(request, repeat, COLLECTOR_FORM)
        else:
            return _token_page(request, collector, value, "added")
    return render(
        request,
        "extensions/form.html",
        {"form": form, **COLLECTOR_FORM, "title": "Add log collector"},
    )


@require_http_methods(["GET", "POST"])
@collectors_required
def log_collector_edit(request, collector_id: int):
    collector = _collector(request, collector_id)
    form = LogCollectorForm(
        request.POST or None,
        tenant=request.user.tenant,
        initial={"name": collector.name, "data_sources": list(collector.data_sources.all())},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.log_collector_update(collector=collector, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Log collector {collector.name} was saved.")
            return redirect("extensions:log-collectors")
    return render(
        request,
        "extensions/form.html",
        {"form": form, **COLLECTOR_FORM, "title": f"Edit {collector.name}"},
    )


@require_http_methods(["GET", "POST"])
@collectors_required
def log_collector_regenerate(request, collector_id: int):
    collector = _collector(request, collector_id)
    if request.method == "POST":
        value = services.log_collector_regenerate(
            collector=collector, by=request.user, origin=origin_of(request)
        )
        return _token_page(request, collector, value, "regenerated")
    return _confirm(
        request,
        COLLECTOR_FORM,
        f"Regenerate the token of {collector.name}?",
        "The current token stops working at once. Configure the collector with the new one.",
        "Regenerate token",
    )


@require_http_methods(["GET", "POST"])
@collectors_required
def log_collector_delete(request, collector_id: int):
    collector = _collector(request, collector_id)
    if request.method == "POST":
        services.log_collector_delete(
            collector=collector, by=request.user, origin=origin_of(request)
        )
        messages.success(
            request, f"Log collector {collector.name} was deleted and its token revoked."
        )
        return redirect("extensions:log-collectors")
    return _confirm(
        request,
        COLLECTOR_FORM,
        f"Delete log collector {collector.name}?",
        "Its token is revoked at once; it can upload nothing more.",
        "Delete",
        danger=True,
    )
