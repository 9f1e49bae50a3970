"""Every change to SIEM agents, log collectors and data sources. Their tokens are made and
revoked by tokens/services.py, as every token is: shown once, stored as a digest."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.http import SYSTEM, Origin
from core.names import is_clean_name
from extensions.models import LogCollector, OutputFormat, SiemAgent
from security.log_formats import LOG_TYPE_IDS
from security.models import DataSource
from tokens.lifecycle import EventReason
from tokens.models import ApiToken, Kind
from tokens.services import refuse_if_submitted, token_generate, token_revoke

NAME_MAX = 80  # leaves room for the "SIEM agent: " prefix in the token's name


def _clean_name(name: str, field: str = "name") -> str:
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX or not is_clean_name(name):
        raise ValidationError({field: f"Enter a name of 1 to {NAME_MAX} characters."})
    return name


def _unique(model, tenant, name: str, exclude_pk=None) -> None:
    taken = model.objects.for_tenant(tenant).filter(name__iexact=name).exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"name": f"{name!r} is already taken in this tenant."})


def _save(instance) -> None:
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:  # a concurrent request took the name
        raise ValidationError({"name": f"{instance.name!r} is already taken."}) from None


def _new_token(
    *,
    user,
    label: str,
    kind: str,
    submission_key: str = "",
    origin: Origin = SYSTEM,
    allowed_ips: list[str] | None = None,
) -> tuple[ApiToken, str]:
    return token_generate(
        user=user,
        name=label[:100],
        kind=kind,
        submission_key=submission_key,
        origin=origin,
        allowed_ips=allowed_ips,
    )


def _replace_token(owner, *, by, label: str, kind: str, origin: Origin) -> str:
    """A new token for an agent or collector; its old one is refused from the next request."""
    kept = None if owner.token is None else owner.token.allowed_ips  # where it runs stays
    if owner.token is not None:
        token_revoke(token=owner.token, by=by, reason=EventReason.REPLACED, origin=origin)
    owner.token, value = _new_token(
        user=by, label=label, kind=kind, origin=origin, allowed_ips=kept
    )
    owner.save(update_fields=["token"])
    return value


def _delete_with_token(owner, *, by, origin: Origin) -> None:
    if owner.token is not None:
        token_revoke(token=owner.token, by=by, origin=origin)
    owner.delete()


# --- SIEM agents -------------------------------------------------------------------------------


def _clean_agent(tenant, name, output_format, send_alerts, send_activities, exclude_pk=None):
    name = _clean_name(name)
    _unique(SiemAgent, tenant, name, exclude_pk)
    if output_format not in OutputFormat.values:
        raise ValidationError({"output_format": "Choose CEF or JSON."})
    if not (send_alerts or send_activities):
        raise ValidationError({"send_alerts": "Choose at least one event type."})
    return name


@transaction.atomic
def siem_agent_create(
    *,
    user,
    name: str,
    output_format: str,
    send_alerts: bool,
    send_activities: bool,
    submission_key: str = "",
    origin: Origin = SYSTEM,
    allowed_ips: list[str] | None = None,
) -> tuple[SiemAgent, str]:
    """A new agent and its `siem` token's value (shown once). A form's second submission with
    the same key raises AlreadySubmitted (tokens/services.py) and adds nothing."""
    # Before the name: the first submission took the name, and the second must be told it
    # was already made, not that its name is taken.
    refuse_if_submitted(user=user, submission_key=submission_key)
    name = _clean_agent(user.tenant, name, output_format, send_alerts, send_activities)
    token, value = _new_token(
        user=user,
        label=f"SIEM agent: {name}",
        kind=Kind.SIEM,
        submission_key=submission_key,
        origin=origin,
        allowed_ips=allowed_ips,
    )
    agent = SiemAgent(
        tenant=user.tenant,
        name=name,
        output_format=output_format,
        send_alerts=send_alerts,
        send_activities=send_activities,
        token=token,
        created_by=user,
    )
    _save(agent)
    return agent, value


@transaction.atomic
def siem_agent_update(
    *, agent: SiemAgent, name: str, output_format: str, send_alerts: bool, send_activities: bool
) -> SiemAgent:
    agent.name = _clean_agent(
        agent.tenant, name, output_format, send_alerts, send_activities, exclude_pk=agent.pk
    )
    agent.output_format, agent.send_alerts, agent.send_activities = (
        output_format,
        send_alerts,
        send_activities,
    )
    _save(agent)
    return agent


@transaction.atomic
def siem_agent_regenerate(*, agent: SiemAgent, by, origin: Origin = SYSTEM) -> str:
    """A new token for the agent; the old one is refused from the next request."""
    return _replace_token(
        agent, by=by, label=f"SIEM agent: {agent.name}", kind=Kind.SIEM, origin=origin
    )


@transaction.atomic
def siem_agent_delete(*, agent: SiemAgent, by, origin: Origin = SYSTEM) -> None:
    _delete_with_token(agent, by=by, origin=origin)


def siem_agent_delivered(*, agent: SiemAgent, count: int) -> None:
    SiemAgent.objects.filter(pk=agent.pk).update(
        last_seen_at=timezone.now(), events_delivered=F("events_delivered") + count
    )


# --- data sources and log collectors -----------------------------------------------------------


@transaction.atomic
def data_source_create(*, tenant, name: str, log_format: str, receiver_type: str) -> DataSource:
    name = _clean_name(name)
    _unique(DataSource, tenant, name)
    if log_format not in LOG_TYPE_IDS:
        raise ValidationError({"log_format": "Choose a log format from the list."})
    if receiver_type not in {"ftp", "syslog"}:
        raise ValidationError({"receiver_type": "Choose FTP or Syslog."})
    source = DataSource(
        tenant=tenant,
        name=name,
        log_format=log_format,
        receiver_type=receiver_type,
        protocol="" if receiver_type == "ftp" else "udp",
    )
    _save(source)
    return source


def data_source_delete(*, source: DataSource) -> None:
    source.delete()  # its uploads keep their files; collectors lose it from their list


def _clean_collector(tenant, name, data_sources, exclude_pk=None):
    name = _clean_name(name)
    _unique(LogCollector, tenant, name, exclude_pk)
    sources = list(data_sources)
    if not sources:
        raise ValidationError({"data_sources": "Choose at least one data source."})
    if any(source.tenant_id != tenant.pk for source in sources):
        raise ValidationError({"data_sources": "Choose data sources of this tenant."})
    return name, sources


@transaction.atomic
def log_collector_create(
    *,
    user,
    name: str,
    data_sources,
    submission_key: str = "",
    origin: Origin = SYSTEM,
    allowed_ips: list[str] | None = None,
) -> tuple[LogCollector, str]:
    """A new collector and its token's value (shown once); once per form submission, as
    siem_agent_create."""
    # Before the name: the first submission took the name, and the second must be told it
    # was already made, not that its name is taken.
    refuse_if_submitted(user=user, submission_key=submission_key)
    name, sources = _clean_collector(user.tenant, name, data_sources)
    token, value = _new_token(
        user=user,
        label=f"Log collector: {name}",
        kind=Kind.LOG_COLLECTOR,
        submission_key=submission_key,
        origin=origin,
        allowed_ips=allowed_ips,
    )
    collector = LogCollector(tenant=user.tenant, name=name, token=token, created_by=user)
    _save(collector)
    collector.data_sources.set(sources)
    return collector, value


@transaction.atomic
def log_collector_update(*, collector: LogCollector, name: str, data_sources) -> LogCollector:
    collector.name, sources = _clean_collector(
        collector.tenant, name, data_sources, exclude_pk=collector.pk
    )
    _save(collector)
    collector.data_sources.set(sources)
    return collector


@transaction.atomic
def log_collector_regenerate(*, collector: LogCollector, by, origin: Origin = SYSTEM) -> str:
    return _replace_token(
        collector,
        by=by,
        label=f"Log collector: {collector.name}",
        kind=Kind.LOG_COLLECTOR,
        origin=origin,
    )


@transaction.atomic
def log_collector_delete(*, collector: LogCollector, by, origin: Origin = SYSTEM) -> None:
    _delete_with_token(collector, by=by, origin=origin)


def log_collector_received(*, collector_id: int, size: int) -> None:
    LogCollector.objects.filter(pk=collector_id).update(
        last_upload_at=timezone.now(),
        files_received=F("files_received") + 1,
        bytes_received=F("bytes_received") + size,
    )
