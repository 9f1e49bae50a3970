"""What schemathesis is told beyond the schema (tests/integration/test_schema_fuzz.py loads
this module through SCHEMATHESIS_HOOKS): the rules the schema says in words only, which no
static schema can state. A name, description or tag a person types refuses the characters
core/names.py names by Unicode category (controls, invisible and unassigned ones); an expiry
lies between now and 3,650 days from now; an IP range is a CIDR, and a token's allow-list
holds addresses and ranges with their host part zero; a filter's range starts at
or before its end; the SIEM feed's cursor is one an answer gave. Generated requests that
break one are left out, so that their 400 is not taken for a lie."""

import ipaddress
import json
from datetime import UTC, date, datetime, timedelta

import schemathesis
from django.core.exceptions import ValidationError

from core.names import is_clean_name
from tokens.allowlist import allowlist_check

TYPED = ("name", "description", "userName", "externalId", "displayName")
MOMENTS = (int, str)
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


def _is_cidr(value) -> bool:
    try:
        ipaddress.ip_network(value.strip() if isinstance(value, str) else value, strict=False)
    except (TypeError, ValueError):
        return False
    return True


def _allowlist_possible(entries) -> bool:
    """A token's allow-list: addresses and ranges whose host part is zero (10.0.0.0/8)."""
    if not isinstance(entries, list):
        return True
    try:
        allowlist_check(entries)
    except ValidationError:
        return False
    return True


def _ranges_in_order(filters) -> bool:
    """Every {"range": [{"start": ..., "end": ...}]} of the filters starts at or before its
    end (the values as the API reads them: numbers, or digits in a string)."""
    if not isinstance(filters, dict):
        return True
    for operations in filters.values():
        bounds = operations.get("range") if isinstance(operations, dict) else None
        for pair in bounds if isinstance(bounds, list) else []:
            if isinstance(pair, dict) and all(
                isinstance(pair.get(k), MOMENTS) for k in ("start", "end")
            ):
                try:
                    if int(pair["start"]) > int(pair["end"]):
                        return False
                except ValueError:
                    continue
    return True


def _typed_clean(body: dict) -> bool:
    typed = [body[field] for field in TYPED if isinstance(body.get(field), str)]
    tags = body.get("tags") if isinstance(body.get("tags"), list) else []
    typed += [tag for tag in tags if isinstance(tag, str)]
    if isinstance(body.get("name"), dict):  # a SCIM User's
        typed += [body["name"].get(part) for part in ("givenName", "familyName")]
    emails = body.get("emails") if isinstance(body.get("emails"), list) else []
    typed += [email.get("value") for email in emails if isinstance(email, dict)]
    typed = [text for text in typed if isinstance(text, str)]
    named = [body.get("name"), body.get("userName"), *tags]
    if any(isinstance(text, str) and not text.strip() for text in named):
        return False  # blank once trimmed: "Enter a token name.", "name is required"
    return all(is_clean_name(text) for text in typed)


@schemathesis.hook
def filter_body(ctx, body) -> bool:
    if not isinstance(body, dict):
        return True
    subnets = body.get("subnets")
    if isinstance(subnets, list) and not all(_is_cidr(cidr) for cidr in subnets):
        return False
    if not _allowlist_possible(body.get("allowed_ips")):
        return False
    return (
        _typed_clean(body)
        and _expiry_possible(body.get("expires_at"))
        and _ranges_in_order(body.get("filters"))
    )


@schemathesis.hook
def filter_query(ctx, query) -> bool:
    if not isinstance(query, dict):
        return True
    if "cursor" in query:
        return False  # the SIEM feed's: only what an answer gave, signed
    if not isinstance(query.get("filters"), str):
        return True
    if len(query["filters"]) > 2000:
        return False  # past what the HTTP server in front takes in an address (414)
    try:
        return _ranges_in_order(json.loads(query["filters"]))
    except ValueError:
        return True
