"""The list language of the Defender for Cloud Apps API: `{"field": {"operator": value}}`
filters, AND-ed across fields and operators, plus skip/limit/sortField/sortDirection.

Each resource declares its fields (the API name, the column, the kind of value, and the
operators the reference allows on it). Anything else (an unknown field, an operator the
field does not take, a value of the wrong shape) is a FilterError that names it, which the
API answers with a 400: a filter is never dropped, so a result is never silently wider than
asked for.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from core.inputs import InputError, load_json, parse_int

MAX_MS = 253402300799999  # 9999-12-31T23:59:59.999Z
# Values in one list (eq, neq, contains, range, ...). Most tests of a list are one OR per
# value, and SQLite parses an OR of n terms n deep, refusing 1,000: 250 values (an entity
# reference is two terms) beside every other filter of a request stay well within.
MAX_VALUES = 250


class FilterError(InputError):
    """A list request this API will not guess at; the message names what is wrong (answered
    400 by core/exceptions.py, as every InputError)."""


# --- values ------------------------------------------------------------------------------------


def ms_to_datetime(value: Any, where: str) -> datetime:
    number = integer_value(value, where)
    if not 0 <= number <= MAX_MS:
        raise FilterError(f"{where}: {value!r} is not a time in milliseconds since the epoch")
    return datetime.fromtimestamp(number / 1000, tz=UTC)


INT64 = 2**63 - 1


def integer_value(value: Any, where: str) -> int:
    """A whole number that a database column can hold (64 bits), or a FilterError."""
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        number = parse_int(value)  # ASCII digits only: "²" and "--1" are not numbers
    if number is None or not -INT64 <= number <= INT64:
        raise FilterError(f"{where}: expected a number, got {json.dumps(value)[:80]}")
    return number


def string_value(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) > 1000:
        raise FilterError(f"{where}: expected a string, got {json.dumps(value)[:80]}")
    return value


def boolean_value(value: Any, where: str) -> bool:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, bool):
        raise FilterError(f"{where}: expected true or false, got {json.dumps(value)[:80]}")
    return value


def entity_key(value: Any, where: str) -> str:
    """An entity reference `{"id": "...", "inst": 0}` (a `saas` key may come along) as the
    `{id}:{inst}` key the tables keep."""
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        raise FilterError(
            f'{where}: expected {{"id": "...", "inst": 0}}, got {json.dumps(value)[:80]}'
        )
    inst = integer_value(value.get("inst", 0), f"{where}.inst")
    return f"{value['id']}:{inst}"


@dataclass(frozen=True)
class Field:
    """One filterable field of a resource.

    kind: int | str | bool | time | entity | multi (a delimited `|a|b|` column) | entities
    (entity references in a delimited column)."""

    column: str
    kind: str
    operators: frozenset[str]
    # A field whose meaning is not a plain column test (alertOpen, read, ...):
    # (operator, value, where) -> Q, for every operator of the field.
    custom: Callable[[str, Any, str], Q] | None = None
    text_columns: tuple[str, ...] = ()
    # For multi/entities kinds: how values are written in the column (str by default).
    value_kind: str = "str"
    # The OpenAPI schema of one value, where a custom test takes more than the kind's.
    one: dict | None = None


def spec(column: str, kind: str, *operators: str, **extra) -> Field:
    """A Field, briefly: spec("severity", "int", "eq", "neq") (not Django's F)."""
    return Field(column, kind, frozenset(operators), **extra)


@dataclass
class ListRequest:
    filters: dict[str, dict[str, Any]] = field(default_factory=dict)
    skip: int = 0
    limit: int = 100
    sort_field: str | None = None
    sort_direction: str | None = None
    is_scan: bool = False


# --- building the query ------------------------------------------------------------------------


def value_list(value: Any, where: str) -> list:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise FilterError(f"{where}: needs at least one value")
    if len(values) > MAX_VALUES:
        raise FilterError(f"{where}: at most {MAX_VALUES} values")
    return values


def _convert(spec: Field, value: Any, where: str):
    kind = spec.value_kind if spec.kind in {"multi"} else spec.kind
    if kind == "int":
        return integer_value(value, where)
    if kind == "str":
        if spec.kind == "multi" and isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return string_value(value, where)
    if kind == "time":
        return ms_to_datetime(value, where)
    if kind in {"entity", "entities"}:
        return entity_key(value, where)
    if kind == "bool":
        return boolean_value(value, where)
    raise AssertionError(kind)


def _any(conditions: list[Q]) -> Q:
    combined = Q()
    for condition in conditions:
        combined |= condition
    return combined


def _match(spec: Field, values: list) -> Q:
    """The column holds (one of) these values."""
    if spec.kind in {"multi", "entities"}:
        return _any([Q(**{f"{spec.column}__contains": f"|{value}|"}) for value in values])
    return Q(**{f"{spec.column}__in": values})


def _is_set(spec: Field) -> Q:
    if spec.kind in {"str", "multi", "entities", "entity"}:
        return Q(**{f"{spec.column}__isnull": False}) & ~Q(**{spec.column: ""})
    return Q(**{f"{spec.column}__isnull": False})


@dataclass(frozen=True)
class Operand:
    """What one operator of one field is given: the field, the value, where it stands in the
    request (for messages) and the time the request is answered at."""

    spec: Field
    operator: str
    value: Any
    where: str
    now: datetime

    @property
    def column(self) -> str:
        return self.spec.column


def _equals(o: Operand) -> Q:
    if o.spec.kind == "bool":
        matched = Q(**{o.column: boolean_value(o.value, o.where)})
    else:
        values = [_convert(o.spec, v, o.where) for v in value_list(o.value, o.where)]
        matched = _match(o.spec, values)
    return ~matched if o.operator == "neq" else matched


def _compare(o: Operand) -> Q:
    if isinstance(o.value, list):
        raise FilterError(f"{o.where}: expected one value, not a list")
    return Q(**{f"{o.column}__{o.operator}": _convert(o.spec, o.value, o.where)})


def _range(o: Operand) -> Q:
    ranges = []
    for bounds in value_list(o.value, o.where):
        if not isinstance(bounds, dict) or set(bounds) != {"start", "end"}:
            raise FilterError(f'{o.where}: expected a list of {{"start": ..., "end": ...}}')
        start = _convert(o.spec, bounds["start"], f"{o.where}.start")
        end = _convert(o.spec, bounds["end"], f"{o.where}.end")
        if start > end:
            raise FilterError(f"{o.where}: start is after end")
        ranges.append(Q(**{f"{o.column}__gte": start, f"{o.column}__lte": end}))
    return _any(ranges)


# Text operators: the lookup each runs, and whether it is negated.
_TEXT_LOOKUPS = {
    "contains": ("icontains", False),
    "ncontains": ("icontains", True),
    "startswith": ("istartswith", False),
    "doesnotstartwith": ("istartswith", True),
    "endswith": ("iendswith", False),
}


def _text_match(o: Operand) -> Q:
    lookup, negated = _TEXT_LOOKUPS[o.operator]
    texts = [string_value(v, o.where) for v in value_list(o.value, o.where)]
    matched = _any([Q(**{f"{o.column}__{lookup}": text}) for text in texts])
    return ~matched if negated else matched


def _starts_with_single(o: Operand) -> Q:
    return Q(**{f"{o.column}__istartswith": string_value(o.value, o.where)})


def _set_or_not(o: Operand) -> Q:
    wanted = boolean_value(o.value, o.where) == (o.operator == "isset")
    return _is_set(o.spec) if wanted else ~_is_set(o.spec)


def _within_days(o: Operand) -> Q:
    days = integer_value(o.value, o.where)
    if not 0 <= days <= 36500:
        raise FilterError(f"{o.where}: expected a number of days from 0 to 36500")
    return Q(**{f"{o.column}__{o.operator[:3]}": o.now - timedelta(days=days)})


def _free_text(o: Operand) -> Q:
    text = string_value(o.value, o.where)
    return _any([Q(**{f"{c}__icontains": text}) for c in o.spec.text_columns or (o.column,)])


def _holds_another(o: Operand) -> Q:
    """deq: the (delimited) column holds at least one value that is not among the listed
    ones. A regular expression both databases run: a `|value|` that is none of them."""
    values = [str(_convert(o.spec, v, o.where)) for v in value_list(o.value, o.where)]
    others = "|".join(re.escape(value) for value in values)
    return Q(**{f"{o.spec.column}__regex": rf"\|(?!(?:{others})\|)[^|]+\|"})


def _descendant(o: Operand) -> Q:
    """descendantof: the item is one of the listed ones or lies beneath one (the column lists
    an item's ancestors, itself first); ndescendantof: neither."""
    values = [str(_convert(o.spec, v, o.where)) for v in value_list(o.value, o.where)]
    matched = _any([Q(**{f"{o.spec.column}__contains": f"|{value}|"}) for value in values])
    return ~matched if o.operator == "ndescendantof" else matched


# The operator table: each operator of the language and the function that builds its test.
BUILDERS: dict[str, Callable[[Operand], Q]] = {
    "eq": _equals,
    "neq": _equals,
    "cabinetmatchedrulesequals": _equals,  # files `policy`: undefined in the reference
    "gt": _compare,
    "gte": _compare,
    "lt": _compare,
    "lte": _compare,
    "range": _range,
    **dict.fromkeys(_TEXT_LOOKUPS, _text_match),
    "startswithsingle": _starts_with_single,
    "isset": _set_or_not,
    "isnotset": _set_or_not,
    "gte_ndays": _within_days,
    "lte_ndays": _within_days,
    "text": _free_text,
    "deq": _holds_another,
    "descendantof": _descendant,
    "ndescendantof": _descendant,
}


# Every operator of the reference's table. descendantof and ndescendantof are listed by no
# field there; files' parentFolder takes them here (beneath a folder).
OPERATORS = frozenset(BUILDERS)


def condition(name: str, spec: Field, operator: str, value: Any, now: datetime) -> Q:
    """The test one operator of one field makes, as a Q (or a FilterError naming the value)."""
    where = f"filters.{name}.{operator}"
    if spec.custom is not None:
        return spec.custom(operator, value, where)
    if operator == "cabinetmatchedrulesequals":
        operator = "eq"
    return BUILDERS[operator](Operand(spec, operator, value, where, now))


def build_q(resource: str, fields: dict[str, Field], filters: Any) -> Q:
    """All the filters as one Q, or a FilterError naming the first thing wrong."""
    if not isinstance(filters, dict):
        raise FilterError("filters must be a JSON object")
    now = timezone.now()
    combined = Q()
    for name, operations in filters.items():
        spec = fields.get(name)
        if spec is None:
            raise FilterError(
                f"Unknown filter field '{name}' for {resource}; known fields: "
                + ", ".join(sorted(fields))
            )
        if not isinstance(operations, dict) or not operations:
            raise FilterError(
                f'filters.{name} must be an object of operators, e.g. {{"eq": [...]}}'
            )
        for operator, value in operations.items():
            if operator not in spec.operators:
                known = "an operator this API knows" if operator not in OPERATORS else "allowed"
                raise FilterError(
                    f"Operator '{operator}' is not {known} on field '{name}'; use "
                    + ", ".join(sorted(spec.operators))
                )
            combined &= condition(name, spec, operator, value, now)
    return combined


# --- the schema of a filter ---------------------------------------------------------------------
# What each operator of each field takes, for the OpenAPI schema (security/api/base.py): the
# same values as the tests above accept, so that a client generated from the schema sends
# what works. Numbers may come as JSON numbers or as ASCII digits in a string.

DIGITS = {"type": "string", "pattern": "^[+-]?[0-9]{1,18}$"}
WHOLE = {"anyOf": [{"type": "integer", "minimum": -INT64, "maximum": INT64}, DIGITS]}
TEXT = {"type": "string", "maxLength": 1000}


def alone_or_in_a_list(item: dict) -> dict:
    """The value, or a list holding just it (as boolean_value takes a flag)."""
    return {"anyOf": [item, {"type": "array", "items": item, "minItems": 1, "maxItems": 1}]}


FLAG = alone_or_in_a_list({"type": "boolean"})
ENTITY = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "inst": WHOLE},
    "required": ["id"],
}
MOMENT = {
    "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": MAX_MS},
        {"type": "string", "pattern": "^[+]?[0-9]{1,14}$"},
    ],
    "description": "Milliseconds since 1970-01-01T00:00:00Z.",
}
_ONE: dict[str, dict] = {
    "int": WHOLE,
    "str": TEXT,
    "time": MOMENT,
    "entity": ENTITY,
    "entities": ENTITY,
}


def one_value(spec: Field) -> dict:
    if spec.one is not None:
        return spec.one
    if spec.kind == "multi":
        return WHOLE if spec.value_kind == "int" else {"anyOf": [TEXT, {"type": "integer"}]}
    return _ONE[spec.kind]


def _one_or_more(item: dict) -> dict:
    return {
        "anyOf": [item, {"type": "array", "items": item, "minItems": 1, "maxItems": MAX_VALUES}]
    }


def operator_schema(spec: Field, operator: str) -> dict:
    """The value one operator of one field takes."""
    if spec.kind == "bool" and operator in {"eq", "neq", "cabinetmatchedrulesequals"}:
        return spec.one or FLAG
    one = one_value(spec)
    if operator in {"gt", "gte", "lt", "lte"}:
        return one
    if operator == "range":
        bounds = {
            "type": "object",
            "properties": {"start": one, "end": one},
            "required": ["start", "end"],
            "additionalProperties": False,
            "description": "start at or before end.",
        }
        return {"type": "array", "items": bounds, "minItems": 1, "maxItems": MAX_VALUES}
    if operator in {"isset", "isnotset"}:
        return FLAG
    if operator in {"gte_ndays", "lte_ndays"}:
        days = {"type": "string", "pattern": "^[+]?[0-9]{1,4}$"}
        return {"anyOf": [{"type": "integer", "minimum": 0, "maximum": 36500}, days]}
    if operator in {"startswithsingle", "text"}:
        return TEXT
    if operator in _TEXT_LOOKUPS:
        return _one_or_more(TEXT)
    return _one_or_more(one)


# --- the request ---------------------------------------------------------------------------------

MAX_LIMIT = 100
SCAN_LIMITS = (500, 5000)


def parse_list_request(request, *, scan_allowed: bool = False) -> ListRequest:
    """skip/limit/filters/sortField/sortDirection/isScan from a JSON body (GET or POST), a form
    body, or the query string (filters as a JSON string there); the body wins."""
    data = _request_fields(request)
    is_scan = _scan_flag(data.get("isScan", False), scan_allowed)
    skip, limit = _paging(data, is_scan)
    sort_field, direction = _sorting(data)
    return ListRequest(_filters(data.get("filters")), skip, limit, sort_field, direction, is_scan)


def _request_fields(request) -> dict[str, Any]:
    data: dict[str, Any] = dict(request.query_params.items())
    body = request.data
    if body is not None and not hasattr(body, "getlist") and not isinstance(body, dict):
        raise FilterError("The body must be a JSON object")
    for key in body or {}:
        data[key] = body[key] if isinstance(body, dict) else body.get(key)
    return data


def _filters(filters: Any) -> dict[str, Any]:
    if isinstance(filters, str):
        try:
            filters = load_json(filters, "filters") if filters.strip() else {}
        except InputError as error:
            raise FilterError(str(error)) from None
    if filters is None:
        return {}
    if not isinstance(filters, dict):
        raise FilterError("filters must be a JSON object")
    return filters


def _scan_flag(is_scan: Any, scan_allowed: bool) -> bool:
    if isinstance(is_scan, str) and is_scan.lower() in {"true", "false"}:
        is_scan = is_scan.lower() == "true"
    if not isinstance(is_scan, bool):
        raise FilterError("isScan must be true or false")
    if is_scan and not scan_allowed:
        raise FilterError("isScan is only for activities")
    return is_scan


def _paging(data: dict[str, Any], is_scan: bool) -> tuple[int, int]:
    skip = integer_value(data.get("skip", 0), "skip")
    if skip < 0:
        raise FilterError("skip must be 0 or more")
    low, high = SCAN_LIMITS if is_scan else (1, MAX_LIMIT)
    limit = integer_value(data.get("limit", low if is_scan else MAX_LIMIT), "limit")
    if not low <= limit <= high:
        raise FilterError(
            f"limit must be from {low} to {high}"
            + (" in scan mode" if is_scan else " (scan mode, activities only: 500 to 5000)")
        )
    return skip, limit


def _sorting(data: dict[str, Any]) -> tuple[str | None, str | None]:
    direction = data.get("sortDirection")
    if direction is not None and (
        not isinstance(direction, str) or direction not in {"asc", "desc"}
    ):
        raise FilterError("sortDirection must be asc or desc")
    sort_field = data.get("sortField")
    if sort_field is not None and not isinstance(sort_field, str):
        raise FilterError("sortField must be a string")
    return sort_field, direction
