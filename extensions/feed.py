"""The SIEM feed: a tenant's alerts and activities in the order they were stored, after a
cursor, without loss or repetition across calls.

Both streams are read by a keyset on (stored time, id), so events that share a timestamp are
told apart by id, and a cursor names exactly the last event delivered from each stream. Only
events stored at least SIEM_FEED_LAG_SECONDS ago are read: a transaction that began earlier
but commits later could otherwise land behind a cursor that has already passed it.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.utils import timezone

from core.http import route_url
from core.keyset import Position
from security import records
from security.models import Activity, Alert
from tokens.models import TokenEvent

# Token events (the portal's own: generations, revocations, refused uses) go to agents that
# send activities, as activities.
STREAMS = {"alerts": Alert, "activities": Activity, "token_events": TokenEvent}


class BadCursor(ValueError):
    pass


def cursor_signer(agent) -> signing.Signer:
    # An HMAC with SECRET_KEY, salted with the agent: a cursor works for the agent it was
    # given to only, and none can be made or changed by hand.
    return signing.Signer(salt=f"extensions.feed.cursor:{agent.pk}")


def encode_cursor(agent, positions: dict[str, Position]) -> str:
    """base64 of {"<stream>": [micros, id]} (the position in each stream, core/keyset.py),
    signed for `agent`."""
    raw = json.dumps(
        {name: [position.micros, position.pk] for name, position in sorted(positions.items())}
    )
    return cursor_signer(agent).sign(base64.urlsafe_b64encode(raw.encode()).decode().rstrip("="))


def decode_cursor(agent, cursor: str) -> dict[str, Position]:
    try:
        payload = cursor_signer(agent).unsign(cursor)
        raw = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (signing.BadSignature, binascii.Error, ValueError, UnicodeError, RecursionError):
        raise BadCursor("cursor is not one this feed gave") from None
    if not isinstance(raw, dict) or not set(raw) <= set(STREAMS):
        raise BadCursor("cursor is not one this feed gave")
    positions = {}
    for name, pair in raw.items():
        position = None
        if isinstance(pair, list) and len(pair) == 2 and not any(isinstance(p, str) for p in pair):
            position = Position.parse(*pair)
        if position is None:
            raise BadCursor("cursor is not one this feed gave")
        positions[name] = position
    return positions


def _order(position: Position) -> tuple[int, int]:
    return position.micros, position.pk


@dataclass
class Event:
    stream: str  # alerts | activities | token_events
    record: Alert | Activity | TokenEvent

    @property
    def key(self) -> tuple:
        return (self.record.created, self.stream, self.record.pk)


def read(agent, cursor: str | None, limit: int) -> tuple[list[Event], str, bool]:
    """Up to `limit` events after the cursor (or from the agent's creation), the cursor to
    send next time, and whether more are waiting."""
    start = Position.of(agent.created_at, 0)
    positions = decode_cursor(agent, cursor) if cursor else {}
    # Never before the agent existed, whatever the cursor says.
    positions = {name: max(at, start, key=_order) for name, at in positions.items()}
    wanted = {
        "alerts": agent.send_alerts,
        "activities": agent.send_activities,
        "token_events": agent.send_activities,
    }
    streams = [name for name in STREAMS if wanted[name]]
    settled = timezone.now() - timedelta(seconds=settings.SIEM_FEED_LAG_SECONDS)
    candidates: list[Event] = []
    for name in streams:
        model = STREAMS[name]
        queryset = model.objects.for_tenant(agent.tenant).filter(  # type: ignore[attr-defined]
            positions.get(name, start).after("created"), created__lte=settled
        )
        if name == "activities":
            queryset = queryset.defer("feedback")
        if name == "token_events":
            # Not the agent's own token: it would hear itself poll.
            queryset = queryset.exclude(token_id=agent.token_id)
        rows = queryset.order_by("created", "id")[: limit + 1]
        candidates += [Event(name, row) for row in rows]
    candidates.sort(key=lambda event: event.key)
    events = candidates[:limit]
    has_more = len(candidates) > limit
    for event in events:
        positions[event.stream] = Position.of(event.record.created, event.record.pk)
    for name in streams:
        positions.setdefault(name, start)
    return events, encode_cursor(agent, positions), has_more


# --- formats -----------------------------------------------------------------------------------

CEF_SEVERITY = {0: 3, 1: 6, 2: 9, 3: 1}  # alert severity -> CEF 0-10


def cef_header(value) -> str:
    """CEF header fields escape backslash and pipe."""
    return (
        str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    )


def cef_value(value) -> str:
    """CEF extension values escape backslash and equals sign, and write line breaks as \\n."""
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("=", "\\=")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def _extension(pairs: list[tuple[str, object]]) -> str:
    return " ".join(f"{key}={cef_value(value)}" for key, value in pairs if value not in (None, ""))


def _token_event_cef(event: TokenEvent) -> tuple[list, str]:
    when = int(event.created.timestamp() * 1000)
    head = [
        f"TOKEN_{event.kind.upper()}",
        event.detail or event.get_kind_display(),
        7 if event.kind in ("refused", "revoked") else 2,
    ]
    extension = _extension(
        [
            ("externalId", f"token-event-{event.pk}"),
            ("rt", when),
            ("start", when),
            ("end", when),
            ("msg", event.detail),
            ("suser", event.actor_label),
            ("src", event.source_ip),
            ("requestClientApplication", event.user_agent),
            ("destinationServiceName", "API tokens portal"),
            ("cs1Label", "tokenName"),
            ("cs1", event.token_name),
            ("cs2Label", "tokenKind"),
            ("cs2", event.token_kind),
            ("cs3Label", "tokenLast4"),
            ("cs3", event.token_suffix),
            ("cs4Label", "reason"),
            ("cs4", event.reason),
            ("cnt", event.count),
        ]
    )
    return head, extension


def cef_line(event: Event, tenant) -> str:
    record: Any = event.record  # an Alert, an Activity or a TokenEvent, as event.stream says
    if event.stream == "token_events":
        head, extension = _token_event_cef(record)
        header = "|".join(
            cef_header(part)
            for part in ["CEF:0", "MCAS", "SIEM_Agent", settings.PORTAL_VERSION, *head]
        )
        return f"{header}|{extension}"
    when = int(record.timestamp.timestamp() * 1000)
    common = [
        ("externalId", record.public_id),
        ("rt", when),
        ("start", when),
        ("end", when),
        ("msg", record.description),
    ]
    if event.stream == "alerts":
        head = [
            "ALERT_" + str(record.id_value),
            record.title,
            CEF_SEVERITY.get(record.severity, 5),
        ]
        extension = _extension(
            [
                *common,
                ("cs1Label", "portalURL"),
                ("cs1", route_url(tenant.custom_url, "data:alert", pk=record.public_id)),
                ("cs2Label", "severity"),
                ("cs2", ["LOW", "MEDIUM", "HIGH", "INFORMATIONAL"][record.severity]),
            ]
        )
    else:
        head = [record.action_type or "ACTIVITY", record.description or record.action_type, 0]
        extension = _extension(
            [
                *common,
                ("suser", record.user_name),
                ("destinationServiceName", record.app_name),
                ("dvc", record.ip_address),
                ("requestClientApplication", record.user_agent),
                ("cs2Label", "uniqueServiceId"),
                ("cs2", record.service),
                ("cs1Label", "portalURL"),
                ("cs1", route_url(tenant.custom_url, "data:activity", pk=record.public_id)),
            ]
        )
    header = "|".join(
        cef_header(part) for part in ["CEF:0", "MCAS", "SIEM_Agent", settings.PORTAL_VERSION, *head]
    )
    return f"{header}|{extension}"


def token_event_activity(event: TokenEvent) -> dict:
    """A token event as a SIEM reads an activity: when, what (`eventTypeValue` TOKEN_*),
    who and from where, and the token by name, kind and last 4 (never its value)."""
    return {
        "_id": f"token-event-{event.pk}",
        "timestamp": int(event.created.timestamp() * 1000),
        "appName": "API tokens portal",
        "eventTypeValue": f"TOKEN_{event.kind.upper()}",
        "description": event.detail,
        "user": {"userName": event.actor_label},
        "device": {"clientIP": event.source_ip, "userAgent": event.user_agent},
        "token": {
            "id": event.token_id,
            "name": event.token_name,
            "kind": event.token_kind,
            "suffix": event.token_suffix,
        },
        "reason": event.reason,
        "count": event.count,
    }


def json_event(event: Event, tenant) -> dict:
    record: Any = event.record
    stored = Position.of(record.created, record.pk).micros // 1000
    if event.stream == "token_events":
        return {"type": "activity", "stored": stored, **token_event_activity(record)}
    data = (
        records.alert_data(record, tenant)
        if event.stream == "alerts"
        else records.activity_data(record, tenant)
    )
    kind = "alert" if event.stream == "alerts" else "activity"
    return {"type": kind, "stored": stored, **data}
