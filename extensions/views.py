"""Settings > Security extensions > SIEM agents and Settings > Cloud Discovery > Log
collectors. Plain form pages (no JavaScript needed); the copy buttons come from portal.js.
A token's value is shown once, on the no-store page that follows adding or regenerating."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, cast

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
from tokens.forms import AllowListField
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


def allowlist_field() -> AllowListField:
    return AllowListField(
        help_text="IPv4 or IPv6 addresses and CIDR ranges, one per line, at most 50: its "
        "token is refused from anywhere else. Blank: usable from anywhere."
    )


class SiemAgentNewForm(SubmitOnceForm, SiemAgentForm):
    allowed_ips = allowlist_field()


@siem_required
def siem_agents(request):
    agents = SiemAgent.objects.for_tenant(request.user.tenant).select_related("token")
    return render(request, "extensions/siem_agents.html", {"agents": agents})


SIEM_FORM = {
    "section": "Security extensions",
    "page": "SIEM agents",
    "back": "extensions:siem-agents",
    "submit": "Save",
}


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
    allowed_ips = allowlist_field()


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


# --- what SIEM agents and log collectors share: each holds a token -------------------------------


@dataclass(frozen=True)
class Holder:
    """A kind of thing that holds a token of its own (a SIEM agent, a log collector): its
    forms, its services and its words, for the one flow of adding, editing, regenerating and
    deleting that both follow."""

    kind: str  # "SIEM agent": how the pages name one
    model: type[SiemAgent] | type[LogCollector]
    section: dict
    new_form: type
    edit_form: type
    form_kwargs: Callable[[Any], dict]  # (request) -> what the forms take besides data
    initial_new: dict
    initial_edit: Callable[[Any], dict]  # (holder) -> the edit form's values
    create: Callable[..., tuple[Any, str]]  # (user, submission_key, origin, **fields)
    update: Callable[..., Any]  # (holder, **fields)
    regenerate: Callable[..., str]  # (holder, by, origin) -> the new value
    delete: Callable[..., Any]  # (holder, by, origin)
    regenerate_note: str
    delete_note: str

    def one(self, request, pk: int):
        return get_object_or_404(self.model.objects.for_tenant(request.user.tenant), pk=pk)


def holder_new(request, holder: Holder):
    form = holder.new_form(
        request.POST or None, initial=holder.initial_new, **holder.form_kwargs(request)
    )
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        key = fields.pop("submission")
        try:
            thing, value = holder.create(
                user=request.user, submission_key=key, origin=origin_of(request), **fields
            )
        except ValidationError as error:
            apply_errors(form, error)
        except AlreadySubmitted as repeat:
            return _already_submitted(request, repeat, holder.section)
        else:
            return _token_page(request, thing, value, "added")
    context = {"form": form, **holder.section, "title": f"Add {holder.kind}"}
    return render(request, "extensions/form.html", context)


def holder_edit(request, holder: Holder, pk: int):
    thing = holder.one(request, pk)
    form = holder.edit_form(
        request.POST or None, initial=holder.initial_edit(thing), **holder.form_kwargs(request)
    )
    if request.method == "POST" and form.is_valid():
        try:
            holder.update(thing, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{holder.kind.capitalize()} {thing.name} was saved.")
            return redirect(holder.section["back"])
    context = {"form": form, **holder.section, "title": f"Edit {thing.name}"}
    return render(request, "extensions/form.html", context)


def holder_regenerate(request, holder: Holder, pk: int):
    thing = holder.one(request, pk)
    if request.method == "POST":
        value = holder.regenerate(thing, by=request.user, origin=origin_of(request))
        return _token_page(request, thing, value, "regenerated")
    return _confirm(
        request,
        holder.section,
        f"Regenerate the token of {thing.name}?",
        holder.regenerate_note,
        "Regenerate token",
    )


def holder_delete(request, holder: Holder, pk: int):
    thing = holder.one(request, pk)
    if request.method == "POST":
        holder.delete(thing, by=request.user, origin=origin_of(request))
        messages.success(
            request, f"{holder.kind.capitalize()} {thing.name} was deleted and its token revoked."
        )
        return redirect(holder.section["back"])
    return _confirm(
        request,
        holder.section,
        f"Delete {holder.kind} {thing.name}?",
        holder.delete_note,
        "Delete",
        danger=True,
    )


SIEM_AGENTS = Holder(
    kind="SIEM agent",
    model=SiemAgent,
    section=SIEM_FORM,
    new_form=SiemAgentNewForm,
    edit_form=SiemAgentForm,
    form_kwargs=lambda request: {},
    initial_new={"output_format": OutputFormat.CEF, "send_alerts": True, "send_activities": True},
    initial_edit=lambda agent: {
        "name": agent.name,
        "output_format": agent.output_format,
        "send_alerts": agent.send_alerts,
        "send_activities": agent.send_activities,
    },
    create=services.siem_agent_create,
    update=lambda agent, **fields: services.siem_agent_update(agent=agent, **fields),
    regenerate=lambda agent, **who: services.siem_agent_regenerate(agent=agent, **who),
    delete=lambda agent, **who: services.siem_agent_delete(agent=agent, **who),
    regenerate_note="The current token stops working at once. Give the new one to the agent.",
    delete_note="Its token is revoked at once and it receives no more events.",
)

LOG_COLLECTORS = Holder(
    kind="log collector",
    model=LogCollector,
    section=COLLECTOR_FORM,
    new_form=LogCollectorNewForm,
    edit_form=LogCollectorForm,
    form_kwargs=lambda request: {"tenant": request.user.tenant},
    initial_new={},
    initial_edit=lambda collector: {
        "name": collector.name,
        "data_sources": list(collector.data_sources.all()),
    },
    create=services.log_collector_create,
    update=lambda collector, **fields: services.log_collector_update(collector=collector, **fields),
    regenerate=lambda collector, **who: services.log_collector_regenerate(
        collector=collector, **who
    ),
    delete=lambda collector, **who: services.log_collector_delete(collector=collector, **who),
    regenerate_note=(
        "The current token stops working at once. Configure the collector with the new one."
    ),
    delete_note="Its token is revoked at once; it can upload nothing more.",
)


# The pages, by name (extensions/urls.py), each the shared flow for its kind of holder.
@require_http_methods(["GET", "POST"])
@siem_required
def siem_agent_new(request):
    return holder_new(request, SIEM_AGENTS)


@require_http_methods(["GET", "POST"])
@siem_required
def siem_agent_edit(request, agent_id: int):
    return holder_edit(request, SIEM_AGENTS, agent_id)


@require_http_methods(["GET", "POST"])
@siem_required
def siem_agent_regenerate(request, agent_id: int):
    return holder_regenerate(request, SIEM_AGENTS, agent_id)


@require_http_methods(["GET", "POST"])
@siem_required
def siem_agent_delete(request, agent_id: int):
    return holder_delete(request, SIEM_AGENTS, agent_id)


@require_http_methods(["GET", "POST"])
@collectors_required
def log_collector_new(request):
    return holder_new(request, LOG_COLLECTORS)


@require_http_methods(["GET", "POST"])
@collectors_required
def log_collector_edit(request, collector_id: int):
    return holder_edit(request, LOG_COLLECTORS, collector_id)


@require_http_methods(["GET", "POST"])
@collectors_required
def log_collector_regenerate(request, collector_id: int):
    return holder_regenerate(request, LOG_COLLECTORS, collector_id)


@require_http_methods(["GET", "POST"])
@collectors_required
def log_collector_delete(request, collector_id: int):
    return holder_delete(request, LOG_COLLECTORS, collector_id)
