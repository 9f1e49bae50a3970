"""The keys this API hands out and takes back: the scan cursor (a keyset on time and id,
DECISIONS 18) and the entity key (base64 of {"id", "saas", "inst"}, as the reference's)."""

import base64
import binascii
import json
from typing import Any

from django.db.models import Q

from core.inputs import InputError, check_tree
from core.keyset import Position
from security.filters import FilterError
from security.models import Activity, Entity

# --- scan mode ---------------------------------------------------------------------------------

# The filter field that scan mode's nextQueryFilters adds: where the previous step stopped.
SCAN_CURSOR = "scanCursor"


def scan_cursor(activity: Activity) -> str:
    """`{microseconds}_{id}` of the last row returned (core/keyset.py)."""
    return scan_cursor_of(activity.timestamp, activity.pk)


def scan_cursor_of(timestamp, pk: int) -> str:
    """The scan cursor of the row with this time and id."""
    return Position.of(timestamp, pk).text


def scan_resume_q(cursor: Any, descending: bool) -> Q:
    """Rows after the cursor in scan order."""
    where = f"filters.{SCAN_CURSOR}"
    if (
        not isinstance(cursor, dict)
        or set(cursor) != {"after"}
        or not isinstance(cursor["after"], str)
    ):
        raise FilterError(f'{where} must be {{"after": "<cursor>"}} as nextQueryFilters gave it')
    position = Position.from_text(cursor["after"])
    if position is None:
        raise FilterError(f"{where}.after is not a cursor this API made")
    return position.after("timestamp", descending=descending)


def entity_pk(entity: Entity) -> str:
    """The entity's `pk` in URLs: base64 of {"id", "saas", "inst"}, as in the reference."""
    key = json.dumps({"id": entity.entity_id, "saas": entity.saas, "inst": entity.inst})
    return base64.b64encode(key.encode()).decode("ascii")


def parse_entity_pk(pk: str) -> dict | None:
    """{"id", "saas", "inst"} from a base64 pk (standard or URL-safe, padded or not), or None."""
    padded = pk + "=" * (-len(pk) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            key = check_tree(json.loads(decode(padded.encode("ascii"))), "pk")
        except (binascii.Error, ValueError, UnicodeError, RecursionError, InputError):
            continue
        if (
            isinstance(key, dict)
            and isinstance(key.get("id"), str)
            and all(
                isinstance(key.get(k, 0), int) and not isinstance(key.get(k, 0), bool)
                for k in ("saas", "inst")
            )
        ):
            return {"id": key["id"], "saas": key.get("saas"), "inst": key.get("inst", 0)}
    return None
