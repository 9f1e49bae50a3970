"""The list language of the Defender for Cloud Apps API: `{"field": {"operator": value}}`
filters, AND-ed across fields and operators, plus skip/limit/sortField/sortDirection.

Each resource declares its fields (the API name, the column, the kind of value, and the
operators the reference allows on it). Anything else (an unknown field, an operator the
field does not take, a value of the wrong shape) is a FilterError that names it, which the
API answers with a 400: a filter is never dropped, so a result is never silently wider than
asked for.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from core.inputs import InputError, load_json, parse_int

# The operators this API implements. The reference also lists deq, descendantof and
# ndescendantof, which no field here takes and no client example uses.
OPERATORS = frozenset(
    {
        "eq",
        "neq",
        "gt",
        "gte",
        "lt",
        "lte",
        "range",
        "contains",
        "ncontains",
        "startswith",
        "startswithsingle",
        "doesnotstartwith",
        "endswith",
        "isset",
        "isnotset",
        "gte_ndays",
        "lte_ndays",
        "text",
        "cabinetmatchedrulesequals",  # files `policy`: undefined in the reference; taken as eq
    }
)
MAX_MS = 253402300799999  # 9999-12-31T23:59:59.999Z
MAX_VALUES = 1000  # values in one eq/neq list


class FilterError(InputError):
    """A list request this API will not guess at; the message names what is wrong (answered
    400 by core/exceptions.py, as every InputError)."""


# --- values ------------------------------------------------------------------------------------


def ms_to_datetime(value: Any, where: str) -> datetime:
    number = integer_value(value, where)
    if not 0 <= number <= MAX_MS:
        raise FilterError(f"{where}: {value!r} is not a time in milliseconds since the epoch")
    return datetime.fromtimestamp(number / 1000, tz=UTC)


def datetime_to_ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


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


def F(column: str, kind: str, *operators: str, **extra) -> Field:
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


def condition(name: str, spec: Field, operator: str, value: Any, now: datetime) -> Q:
    where = f"filters.{name}.{operator}"
    if spec.custom is not None:
        return spec.custom(operator, value, where)
    column = spec.column
    if operator == "cabinetmatchedrulesequals":
        operator = "eq"
    if operator in {"eq", "neq"}:
        if spec.kind == "bool":
            matched = Q(**{column: boolean_value(value, where)})
        else:
            matched = _match(spec, [_convert(spec, v, where) for v in value_list(value, where)])
        return matched if operator == "eq" else ~matched
    if operator in {"gt", "gte", "lt", "lte"}:
        if isinstance(value, list):
            raise FilterError(f"{where}: expected one value, not a list")
        return Q(**{f"{column}__{operator}": _convert(spec, value, where)})
    if operator == "range":
        ranges = []
        for bounds in value_list(value, where):
            if not isinstance(bounds, dict) or set(bounds) != {"start", "end"}:
                raise FilterError(f'{where}: expected a list of {{"start": ..., "end": ...}}')
            start = _convert(spec, bounds["start"], f"{where}.start")
            end = _convert(spec, bounds["end"], f"{where}.end")
            if start > end:
                raise FilterError(f"{where}: start is after end")
            ranges.append(Q(**{f"{column}__gte": start, f"{column}__lte": end}))
        return _any(ranges)
    if operator in {"contains", "ncontains", "startswith", "doesnotstartwith", "endswith"}:
        lookup = {"contains": "icontains", "ncontains": "icontains", "endswith": "iendswith"}.get(
            operator, "istartswith"
        )
        texts = [string_value(v, where) for v in value_list(value, where)]
        matched = _any([Q(**{f"{column}__{lookup}": text}) for text in texts])
        return ~matched if operator in {"ncontains", "doesnotstartwith"} else matched
    if operator == "startswithsingle":
        return Q(**{f"{column}__istartswith": string_value(value, where)})
    if operator in {"isset", "isnotset"}:
        wanted = boolean_value(value, where) == (operator == "isset")
        return _is_set(spec) if wanted else ~_is_set(spec)
    if operator in {"gte_ndays", "lte_ndays"}:
        days = integer_value(value, where)
        if not 0 <= days <= 36500:
            raise FilterError(f"{where}: expected a number of days from 0 to 36500")
        return Q(**{f"{column}__{operator[:3]}": now - timedelta(days=days)})
    if operator == "text":
        text = string_value(value, where)
        return _any([Q(**{f"{c}__icontains": text}) for c in spec.text_columns or (column,)])
    raise AssertionError(operator)


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


# --- the request ---------------------------------------------------------------------------------

MAX_LIMIT = 100
SCAN_LIMITS = (500, 5000)


def parse_list_request(request, *, scan_allowed: bool = False) -> ListRequest:
    """skip/limit/filters/sortField/sortDirection/isScan from a JSON body (GET or POST), a form
    body, or the query string (filters as a JSON string there); the body wins."""
    data: dict[str, Any] = {}
    for key, value in request.query_params.items():
        data[key] = value
    body = request.data
    if body is not None and not hasattr(body, "getlist") and not isinstance(body, dict):
        raise FilterError("The body must be a JSON object")
    for key in body or {}:
        data[key] = body[key] if isinstance(body, dict) else body.get(key)

    filters = data.get("filters", {})
    if isinstance(filters, str):
        try:
            filters = load_json(filters, "filters") if filters.strip() else {}
        except InputError as error:
            raise FilterError(str(error)) from None
    if filters is None:
        filters = {}
    if not isinstance(filters, dict):
        raise FilterError("filters must be a JSON object")

    is_scan = data.get("isScan", False)
    if isinstance(is_scan, str) and is_scan.lower() in {"true", "false"}:
        is_scan = is_scan.lower() == "true"
    if not isinstance(is_scan, bool):
        raise FilterError("isScan must be true or false")
    if is_scan and not scan_allowed:
        raise FilterError("isScan is only for activities")

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

    direction = data.get("sortDirection")
    if direction is not None and (
        not isinstance(direction, str) or direction not in {"asc", "desc"}
    ):
        raise FilterError("sortDirection must be asc or desc")
    sort_field = data.get("sortField")
    if sort_field is not None and not isinstance(sort_field, str):
        raise FilterError("sortField must be a string")
    return ListRequest(filters, skip, limit, sort_field, direction, is_scan)
