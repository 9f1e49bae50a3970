"""What schemathesis is told beyond the schema (tests/integration/test_schema_fuzz.py loads
this module through SCHEMATHESIS_HOOKS), two rules the schema says in words only: a name or
description a person types refuses the characters core/names.py names by Unicode category
(controls, invisible and unassigned ones), and an expiry must lie between now and 3,650
days from now, which no static schema can state. Generated bodies that break one are left
out, so that their 400 is not taken for a lie."""

from datetime import UTC, date, datetime, timedelta

import schemathesis

from core.names import is_clean_name

TYPED = ("name", "description")
LONGEST = timedelta(days=3650)


def _expiry_possible(value) -> bool:
    if not isinstance(value, str):
        return True  # null (never), or a wrong type the schema itself refuses
    try:
        moment = (
            datetime.combine(date.fromisoformat(value) + timedelta(days=1), datetime.min.time())
            if len(value) == 10
            else datetime.fromisoformat(value)
        )
    except ValueError:
        return True
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    now = datetime.now(UTC)
    return now < moment <= now + LONGEST


@schemathesis.hook
def filter_body(ctx, body) -> bool:
    if not isinstance(body, dict):
        return True
    typed = [body[field] for field in TYPED if isinstance(body.get(field), str)]
    if "name" in body and isinstance(body["name"], str) and not body["name"].strip():
        return False  # blank once trimmed: "Enter a token name."
    return all(is_clean_name(text) for text in typed) and _expiry_possible(body.get("expires_at"))
