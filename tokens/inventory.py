"""The tenant's credential inventory: every credential of every kind (API tokens, SIEM
agents, log collectors, the SCIM token, and the Entra applications that have called the
API) with its owner, status, dates, last use, access, allow-list and rotation chain; never
a value or a digest. Read in chunks and written as it goes (JSON or CSV), so that 100,000
tokens start arriving at once and no list of them is held; exporting it is an event."""

import csv
import io
import json
from collections.abc import Callable, Generator, Iterator
from datetime import datetime

from django.utils import timezone

from accounts.models import SeenApplication
from accounts.roles import capabilities_for
from core.http import Origin
from tokens.events import tenant_event
from tokens.models import ApiToken, EventKind, Kind
from tokens.models.token import within

CHUNK = 2_000

KIND_NAMES = {
    Kind.API: "api_token",
    Kind.SIEM: "siem_agent",
    Kind.LOG_COLLECTOR: "log_collector",
    Kind.SCIM: "scim_token",
}
APPLICATION = "entra_application"

COLUMNS = [
    "kind",
    "id",
    "name",
    "owner",
    "owner_deprovisioned",
    "status",
    "created",
    "expires",
    "last_used",
    "last_used_ip",
    "access",
    "allowed_ips",
    "chain_id",
    "rotated_at",
    "revoked_at",
    "revoked_reason",
]

_TOKEN_FIELDS = (
    "pk",
    "kind",
    "name",
    "user__username",
    "user__deprovisioned_at",
    "user__role",
    "status",
    "created_at",
    "expires_at",
    "last_used_at",
    "last_used_ip",
    "scopes",
    "granted_capabilities",
    "allowlist",
    "chain_id",
    "replaced_at",
    "revoked_at",
    "revoked_reason",
)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _access(role: str, scopes, granted) -> list[str]:
    """What the token may do, as the token check computes it (its owner's role now)."""
    return sorted(within(capabilities_for(role), scopes, granted))


def _token_record(row: tuple) -> dict:
    value = dict(zip(_TOKEN_FIELDS, row, strict=True))
    return {
        "kind": KIND_NAMES.get(value["kind"], value["kind"]),
        "id": str(value["pk"]),
        "name": value["name"],
        "owner": value["user__username"],
        "owner_deprovisioned": value["user__deprovisioned_at"] is not None,
        "status": value["status"],
        "created": _iso(value["created_at"]),
        "expires": _iso(value["expires_at"]),
        "last_used": _iso(value["last_used_at"]),
        "last_used_ip": value["last_used_ip"],
        "access": _access(value["user__role"], value["scopes"], value["granted_capabilities"]),
        "allowed_ips": value["allowlist"].split(" ") if value["allowlist"] else None,
        "chain_id": None if value["chain_id"] is None else str(value["chain_id"]),
        "rotated_at": _iso(value["replaced_at"]),
        "revoked_at": _iso(value["revoked_at"]),
        "revoked_reason": value["revoked_reason"] or None,
    }


def _application_record(app: SeenApplication) -> dict:
    return {
        "kind": APPLICATION,
        "id": app.app_id,
        "name": f"Application {app.app_id}",
        "owner": None,
        "owner_deprovisioned": False,
        "status": "seen",
        "created": _iso(app.first_seen),
        "expires": None,
        "last_used": _iso(app.last_seen),
        "last_used_ip": app.last_ip,
        "access": sorted(app.capabilities),
        "allowed_ips": None,
        "chain_id": None,
        "rotated_at": None,
        "revoked_at": None,
        "revoked_reason": None,
    }


def credential_records(tenant_id: int) -> Generator[dict]:
    """Every credential of the tenant, tokens by id then applications by first call; the
    query runs when the first record is asked for, in chunks after that."""
    tokens = (
        ApiToken.objects.for_tenant(tenant_id)
        .with_status()
        .order_by("pk")
        .values_list(*_TOKEN_FIELDS)
    )
    for row in tokens.iterator(chunk_size=CHUNK):
        yield _token_record(row)
    applications = SeenApplication.objects.filter(tenant_id=tenant_id).order_by("first_seen")
    for app in applications.iterator(chunk_size=CHUNK):
        yield _application_record(app)


def _csv_cell(value) -> str:
    """A value as a spreadsheet should read it: lists joined by spaces, never a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = " ".join(value)
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def as_csv(records: Iterator[dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for count, record in enumerate(records, 1):
        writer.writerow([_csv_cell(record[column]) for column in COLUMNS])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def as_json(records: Iterator[dict], generated_at: datetime) -> Iterator[str]:
    yield f'{{"generated_at":{json.dumps(_iso(generated_at))},"credentials":['
    pieces: list[str] = []
    for count, record in enumerate(records):
        pieces.append(("," if count else "") + json.dumps(record, separators=(",", ":")))
        if len(pieces) == 500:
            yield "".join(pieces)
            pieces = []
    yield "".join(pieces) + "]}"


def inventory_export(
    *, tenant_id: int, by, origin: Origin, fmt: str
) -> tuple[Iterator[str], Callable[[], None]]:
    """The inventory in `fmt` ("json" or "csv"), as text pieces, and what closes its cursor
    (for the response to call when it is closed, read to its end or not: a server-side
    cursor must never be left to the garbage collector); the export is logged now (who,
    from where, which format), before the first piece."""
    now = timezone.now()
    tenant_event(
        tenant_id=tenant_id,
        kind=EventKind.EXPORTED,
        by=by,
        origin=origin,
        detail=f"Credential inventory exported as {fmt.upper()}.",
    )
    records = credential_records(tenant_id)
    # The first record is read here, so that a database out of reach is an error before
    # the answer starts (a 503), not a cut answer.
    first = next(records, None)
    chained = _chain(first, records)
    pieces = as_csv(chained) if fmt == "csv" else as_json(chained, now)
    return pieces, records.close


def _chain(first: dict | None, rest: Iterator[dict]) -> Iterator[dict]:
    if first is None:
        return
    yield first
    yield from rest
