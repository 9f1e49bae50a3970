"""Every change the data API makes: closing and marking alerts, activity feedback, IP ranges,
and the three steps of a Cloud Discovery log upload."""

import hashlib
import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File as DjangoFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from core.errors import Conflict
from security.enumerations import BUILTIN_IP_TAGS
from security.log_formats import LOG_TYPE_IDS
from security.models import (
    Activity,
    Alert,
    AlertStatus,
    DataSource,
    DiscoveredApp,
    DiscoveryUpload,
    Entity,
    File,
    IpTag,
    Resolution,
    Severity,
    Subnet,
    UploadStatus,
)

# --- records as the tenant's apps report them ------------------------------------------------

RECORD_MODELS = (Entity, Activity, Alert, File, DataSource, DiscoveredApp)


@transaction.atomic
def records_add(*, tenant, records: Sequence[models.Model]) -> None:
    """Stores records that a tenant's apps reported (entities, activities, alerts, files,
    data sources, discovered apps): the one way records enter this product (today the demo
    data). Each is checked by its model and stored for `tenant`; all of them or none. A
    record that refers to another (an account to its user) is added after it, in a later
    call."""
    by_model: dict[type[models.Model], list[models.Model]] = {}
    for record in records:
        if not isinstance(record, RECORD_MODELS):
            raise TypeError(f"{type(record).__name__} is not a record of a tenant's apps")
        record.tenant = tenant
        if hasattr(record, "prepare"):
            record.prepare()  # the columns drawn from others: bulk_create skips save()
        record.full_clean(validate_unique=False, validate_constraints=False)
        by_model.setdefault(type(record), []).append(record)
    for model, rows in by_model.items():
        model.objects.bulk_create(rows, batch_size=500)  # type: ignore[attr-defined]


# --- alerts this product raises --------------------------------------------------------------

TOKEN_EXPOSED_ALERT = 20_000_001  # idValue: the alert type "token exposed publicly"
TOKEN_REUSED_ALERT = 20_000_002  # idValue: "a rotated-out token value was reused"
TOKEN_USED_LATE_ALERT = 20_000_003  # idValue: "a rotated-out token value was used late"
TOKEN_ADDRESS_ALERT = 20_000_004  # idValue: "a token was used from outside its allow-list"
NO_CUSTODIAN_ALERT = 20_000_005  # idValue: "a service account lost its last custodian"


def alert_token_exposed(*, token, at, **signal) -> Alert:
    """A high-severity alert in the token's tenant (tokens.signals.token_exposed): a live
    token was found in public and revoked; the SIEM and SOAR tools that poll the alerts see
    it. Its entities name the owner and the token, never the value."""
    owner = token.user
    when = at.strftime("%Y-%m-%d %H:%M UTC")
    return _token_alert(
        token,
        at,
        TOKEN_EXPOSED_ALERT,
        title=f"API token \u201c{token.name}\u201d of {owner.username} exposed publicly at {when}",
        description=(
            f"The {token.get_kind_display()} \u201c{token.name}\u201d (ending in "
            f"\u2026{token.suffix}) of {owner.display_name} ({owner.username}) was reported as "
            f"published where anyone can read it, and was revoked at {when}. Requests made "
            "with it are refused."
        ),
    )


def alert_token_reused(*, token, at, how, revoked, **signal) -> Alert:
    """A high-severity alert in the token's tenant (tokens.signals.token_reused): a value
    replaced by a rotation was used again (after its grace period, or to rotate again), so
    someone else may hold it; every token of its rotation chain was revoked."""
    owner = token.user
    when = at.strftime("%Y-%m-%d %H:%M UTC")
    return _token_alert(
        token,
        at,
        TOKEN_REUSED_ALERT,
        title=(
            f"Rotated-out value of API token \u201c{token.name}\u201d of {owner.username} "
            f"reused at {when}"
        ),
        description=(
            f"A value of the {token.get_kind_display()} \u201c{token.name}\u201d (ending in "
            f"\u2026{token.suffix}) of {owner.display_name} ({owner.username}) that a rotation "
            f"had replaced was {how}. Every token of its rotation chain ({revoked}) was revoked "
            f"at {when}: generate a new one, and find who held the old value."
        ),
    )


def _refused_use(token, at, ip, user_agent) -> tuple:
    """What an alert of a refused use says of it: whose token, when, and from where."""
    source = f"{ip or 'an unknown address'}" + (f" ({user_agent})" if user_agent else "")
    return token.user, at.strftime("%Y-%m-%d %H:%M UTC"), source


def alert_token_used_late(*, token, at, ip, user_agent, **signal) -> Alert:
    """A medium-severity alert in the token's tenant (tokens.signals.token_used_late): a
    value replaced by a rotation was used after its grace period and refused. Most often a
    script someone forgot to switch to the new value; possibly someone who should not hold
    it. The new value keeps working; the alert says where the request came from."""
    owner, when, source = _refused_use(token, at, ip, user_agent)
    return _token_alert(
        token,
        at,
        TOKEN_USED_LATE_ALERT,
        severity=Severity.MEDIUM,
        title=(
            f"Rotated-out value of API token \u201c{token.name}\u201d of {owner.username} "
            f"used after its grace period at {when}"
        ),
        description=(
            f"A value of the {token.get_kind_display()} \u201c{token.name}\u201d (ending in "
            f"\u2026{token.suffix}) of {owner.display_name} ({owner.username}) that a rotation "
            f"had replaced was used after its grace period, from {source}, and refused. The "
            "new value keeps working. Switch whatever made the request to the new value; if "
            "nothing of yours should hold the old one, revoke the token. (This alert is "
            "raised at most once an hour per token.)"
        ),
    )


def alert_token_address_refused(*, token, at, ip, user_agent, **signal) -> Alert:
    """A medium-severity alert in the token's tenant (tokens.signals.token_address_refused): a
    token was used from an address its allow-list does not hold, and refused. Its owner's
    integration may have moved; or the value is held by someone it should not be."""
    owner, when, source = _refused_use(token, at, ip, user_agent)
    return _token_alert(
        token,
        at,
        TOKEN_ADDRESS_ALERT,
        severity=Severity.MEDIUM,
        title=(
            f"API token \u201c{token.name}\u201d of {owner.username} used from {
                ip or 'an unknown address'
            }, outside its allow-list, at {when}"
        ),
        description=(
            f"The {token.get_kind_display()} \u201c{token.name}\u201d (ending in "
            f"\u2026{token.suffix}) of {owner.display_name} ({owner.username}) was used from "
            f"{source}, which its allow-list ({', '.join(token.allowed_ips or ())}) does not "
            "include, and refused. If the integration moved, add its address to the "
            "allow-list on the token's page; if nothing of yours calls from there, revoke the "
            "token. (This alert is raised at most once an hour per token.)"
        ),
    )


def alert_custodians_lost(*, accounts, custodian, **signal) -> list[Alert]:
    """A medium-severity alert per service account whose last active custodian was just
    deprovisioned (accounts.signals.custodians_lost): its tokens keep working, and nobody but
    a full admin can manage them until one names a custodian."""
    now = timezone.now()
    return [
        _portal_alert(
            account.tenant_id,
            now,
            NO_CUSTODIAN_ALERT,
            title=f"Service account {account.username} has no custodian",
            description=(
                f"{custodian.display_name} ({custodian.username}) was deprovisioned at "
                f"{now:%Y-%m-%d %H:%M} UTC and was the last active custodian of the service "
                f"account {account.username}. Its API tokens keep working with its role "
                f"({account.role_label}). Name a custodian on its page under Users, so that "
                "someone answers for them; until then only full admins can manage them."
            ),
            severity=Severity.MEDIUM,
            threat_score=40,
            entities=[
                {"id": account.username, "label": account.username, "type": "user"},
                {"id": custodian.username, "label": custodian.username, "type": "user"},
            ],
        )
        for account in accounts
    ]


def _token_alert(
    token, at, id_value: int, *, title: str, description: str, severity: int = Severity.HIGH
) -> Alert:
    owner = token.user
    return _portal_alert(
        token.tenant_id,
        at,
        id_value,
        title=title,
        description=description,
        severity=severity,
        threat_score=80,
        entities=[
            {"id": owner.username, "label": owner.username, "type": "user"},
            {
                "id": f"token-{token.pk}",
                "label": f"{token.name} (\u2026{token.suffix})",
                "type": "groupTag",
            },
        ],
    )


def _portal_alert(
    tenant_id: int,
    at,
    id_value: int,
    *,
    title: str,
    description: str,
    severity: int,
    threat_score: int,
    entities: list[dict],
) -> Alert:
    """An alert this product raises about its own credentials (credential access)."""
    alert = Alert(
        tenant_id=tenant_id,
        id_value=id_value,
        title=title,
        description=description,
        timestamp=at,
        severity=severity,
        stories=[0],
        intent=[6],  # CREDENTIAL_ACCESS
        threat_score=threat_score,
        source="portal",
        is_system=True,
        entities=entities,
    )
    alert.prepare()
    alert.full_clean(validate_unique=False, validate_constraints=False)
    alert.save()
    return alert


# close_* kind -> (resolution, the reasonId values it takes; None: takes none)
CLOSE_KINDS = {
    "benign": (Resolution.BENIGN, {2, 4, 5, 6}),
    "false_positive": (Resolution.FALSE_POSITIVE, {0, 1, 3, 4}),
    "true_positive": (Resolution.TRUE_POSITIVE, None),
}


@dataclass
class CloseResult:
    closed: int
    not_found: list[str] | None


@transaction.atomic
def alerts_close(
    *,
    alerts,
    kind: str,
    by: str,
    comment: str = "",
    reason_id: int | None = None,
    feedback: dict | None = None,
    asked_ids: list[str] | None = None,
) -> CloseResult:
    """Closes the alerts of `alerts` (already narrowed to the tenant and the request's filters)
    that are not closed this way yet. `asked_ids`, when the request named alerts by id, are
    checked so that the answer lists the ones that do not exist."""
    resolution, reasons = CLOSE_KINDS[kind]
    if reasons is None and reason_id is not None:
        raise ValidationError({"reasonId": f"close_{kind} takes no reasonId."})
    if reasons is not None and reason_id is not None and reason_id not in reasons:
        raise ValidationError(
            {"reasonId": f"close_{kind} takes reasonId {', '.join(map(str, sorted(reasons)))}."}
        )
    not_found = None
    if asked_ids is not None:
        found = set(alerts.filter(public_id__in=asked_ids).values_list("public_id", flat=True))
        not_found = [alert_id for alert_id in asked_ids if alert_id not in found]
    closed = alerts.exclude(resolution_status=resolution).update(
        resolution_status=resolution,
        resolution_date=timezone.now(),
        resolution_reason=reason_id,
        comment=comment,
        handled_by=by,
        feedback=feedback or {},
    )
    return CloseResult(closed, not_found)


@transaction.atomic
def alert_mark(*, alert: Alert, read: bool) -> Alert:
    """Marks an alert read or unread (the reference's read/unread)."""
    alert.status = AlertStatus.READ if read else AlertStatus.UNREAD
    Alert.objects.filter(pk=alert.pk).update(status=alert.status)
    return alert


@transaction.atomic
def activity_feedback(*, activity: Activity, feedback: dict, by: str) -> Activity:
    """Records who gave what feedback on an activity, and when."""
    activity.feedback = {**feedback, "by": by, "at": timezone.now().isoformat()}
    Activity.objects.filter(pk=activity.pk).update(feedback=activity.feedback)
    return activity


# --- IP ranges ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubnetFields:
    """An IP range as a client gives it (security/api/subnets.py checks the body)."""

    name: str
    category: int
    subnets: list[str]
    organization: str = ""
    override_organization: bool = False
    tags: list[str] = field(default_factory=list)  # ids or names (tags_resolve)


def tags_by_id(tenant) -> dict[str, IpTag]:
    """The tenant's custom IP tags by id, to show ranges' tags with."""
    return {tag.tag_id: tag for tag in IpTag.objects.for_tenant(tenant)}


def tags_resolve(*, tenant, tags: Sequence[str]) -> list[str]:
    """The ids of the tags a client named, by id or by name, as real tenants take them: a
    built-in or custom tag's id, a built-in or custom tag's name (in any case), and else a
    new custom tag of that name, with an id of its own. In the order given, once each."""
    builtin_names = {name.lower(): tag_id for tag_id, name in BUILTIN_IP_TAGS.items()}
    custom = {tag.tag_id: tag for tag in IpTag.objects.for_tenant(tenant)}
    custom_names = {tag.name.lower(): tag.tag_id for tag in custom.values()}
    ids = []
    for value in tags:
        key = value.strip()
        if key in BUILTIN_IP_TAGS or key in custom:
            ids.append(key)
        elif key.lower() in builtin_names:
            ids.append(builtin_names[key.lower()])
        elif key.lower() in custom_names:
            ids.append(custom_names[key.lower()])
        else:
            tag = _tag_create(tenant, key)
            custom_names[key.lower()] = tag.tag_id
            ids.append(tag.tag_id)
    return list(dict.fromkeys(ids))


def _tag_create(tenant, name: str) -> IpTag:
    """A custom tag; a concurrent request that made the same name first wins, and its tag is
    the one used."""
    try:
        with transaction.atomic():
            return IpTag.objects.create(tenant=tenant, name=name)
    except IntegrityError:
        return IpTag.objects.for_tenant(tenant).get(name=name)


def _name_taken(name: str) -> Conflict:
    return Conflict(f"name: An IP range named {name!r} exists.")


@transaction.atomic
def subnet_create(*, tenant, fields: SubnetFields) -> Subnet:
    """A new IP range; a name the tenant already uses is a Conflict, also when a concurrent
    request takes it between the check and the insert (the unique constraint decides)."""
    if Subnet.objects.for_tenant(tenant).filter(name=fields.name).exists():
        raise _name_taken(fields.name)
    subnet = Subnet(tenant=tenant, last_modified=timezone.now(), **asdict(fields))
    subnet.tags = tags_resolve(tenant=tenant, tags=fields.tags)
    subnet.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            subnet.save()
    except IntegrityError:  # a concurrent create took the name
        raise _name_taken(fields.name) from None
    return subnet


@transaction.atomic
def subnet_update(*, subnet: Subnet, fields: SubnetFields) -> Subnet:
    """Replaces the range: fields left out are cleared, as the reference says."""
    taken = (
        Subnet.objects.for_tenant(subnet.tenant)
        .filter(name=fields.name)
        .exclude(pk=subnet.pk)
        .exists()
    )
    if taken:
        raise _name_taken(fields.name)
    for name, value in asdict(fields).items():
        setattr(subnet, name, value)
    subnet.tags = tags_resolve(tenant=subnet.tenant, tags=fields.tags)
    subnet.last_modified = timezone.now()
    subnet.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            subnet.save()
    except IntegrityError:  # a concurrent rename took the name
        raise _name_taken(fields.name) from None
    return subnet


def subnet_delete(*, subnet: Subnet) -> None:
    if subnet.built_in:
        raise ValidationError("Built-in IP ranges cannot be deleted.")
    subnet.delete()


# --- Cloud Discovery uploads -------------------------------------------------------------------

LOG_SOURCES = frozenset(LOG_TYPE_IDS)
UPLOAD_URL_LIFETIME = timedelta(hours=1)
CHUNK = 1024 * 1024


def upload_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def discovery_upload_begin(
    *, user, tenant, filename: str, source: str, collector=None
) -> tuple[DiscoveryUpload, str]:
    """Records a log upload about to happen; returns it with the one-time secret for its URL
    (only the secret's digest is stored)."""
    errors = {}
    if (
        not filename
        or len(filename) > 255
        or any(c in filename for c in "/\\\0")
        or filename in {".", ".."}
    ):
        errors["filename"] = (
            "filename is required: a file name of at most 255 characters, without a path."
        )
    if source not in LOG_SOURCES:
        errors["source"] = (
            f"source {source[:60]!r} is not a log format this API knows "
            "(e.g. CISCO_ASA, GENERIC_CEF, ZSCALER)."
        )
    if errors:
        raise ValidationError(errors)
    secret = secrets.token_urlsafe(32)
    upload = DiscoveryUpload.objects.create(
        tenant=tenant,
        url_digest=upload_digest(secret),
        filename=filename,
        source=source,
        requested_by=user if getattr(user, "pk", None) else None,
        collector=collector,
        expires_at=timezone.now() + UPLOAD_URL_LIFETIME,
    )
    return upload, secret


class UploadTooLarge(Exception):
    pass


def discovery_upload_receive(
    *, upload: DiscoveryUpload, stream, declared_size: int | None
) -> DiscoveryUpload:
    """Stores the PUT body of an upload, hashing and counting it as it streams in; more than
    DISCOVERY_UPLOAD_MAX_BYTES is refused and nothing is kept."""
    limit = settings.DISCOVERY_UPLOAD_MAX_BYTES
    if declared_size is not None and declared_size > limit:
        raise UploadTooLarge
    digest = hashlib.sha256()
    size = 0
    # Spooled to a temporary file first, so that a refused body leaves nothing in storage.
    with tempfile.TemporaryFile() as spool:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise UploadTooLarge
            digest.update(chunk)
            spool.write(chunk)
        if size != declared_size:
            raise ValidationError("The body is shorter than its Content-Length.")
        spool.seek(0)
        upload.file.save(f"{upload.public_id}-{upload.filename}", DjangoFile(spool), save=False)
    updated = DiscoveryUpload.objects.filter(pk=upload.pk, status=UploadStatus.PENDING).update(
        status=UploadStatus.RECEIVED,
        file=upload.file.name,
        size=size,
        sha256=digest.hexdigest(),
        received_at=timezone.now(),
    )
    if not updated:  # a second PUT raced this one: keep the first
        upload.file.delete(save=False)
        raise ValidationError("This upload URL has been used.")
    upload.refresh_from_db()
    return upload


@transaction.atomic
def discovery_upload_done(
    *, upload: DiscoveryUpload, stream_name: str, as_snapshot: bool
) -> DiscoveryUpload:
    """Hands a received file to processing, into a data source (or a snapshot report)."""
    if upload.status == UploadStatus.PENDING:
        raise ValidationError("The file has not been uploaded to this URL yet.")
    if upload.status == UploadStatus.QUEUED:
        raise ValidationError("This upload is already done.")
    data_source = None
    if not as_snapshot:
        data_source = DataSource.objects.for_tenant(upload.tenant).filter(name=stream_name).first()
        if data_source is None:
            raise ValidationError(
                {"inputStreamName": f"No data source is named {stream_name[:100]!r}."}
            )
        DataSource.objects.filter(pk=data_source.pk).update(last_data_received=timezone.now())
    elif not stream_name:
        raise ValidationError({"inputStreamName": "A snapshot report needs a name."})
    DiscoveryUpload.objects.filter(pk=upload.pk).update(
        status=UploadStatus.QUEUED,
        data_source=data_source,
        as_snapshot=as_snapshot,
        done_at=timezone.now(),
    )
    upload.refresh_from_db()
    return upload


def pending_upload(secret: str):
    """The upload waiting for its file at this secret URL, if any and not expired."""
    return (
        DiscoveryUpload.objects.filter(
            url_digest=upload_digest(secret),
            status=UploadStatus.PENDING,
            expires_at__gt=timezone.now(),
        )
        .select_related("tenant")
        .first()
    )


def upload_by_url(tenant, url: str):
    """The tenant's upload that an upload URL (as upload_url returned it) names."""
    secret = url.rstrip("/").rsplit("/", 1)[-1] if isinstance(url, str) else ""
    if not secret:
        return None
    return (
        DiscoveryUpload.objects.for_tenant(tenant).filter(url_digest=upload_digest(secret)).first()
    )
