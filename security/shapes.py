"""How a record of the data API is stored and shown: one table per resource of where each
column of its model sits in the JSON record (security/records.py has the tables).

A record is what the tenant's app reported, in the shape real tenants return it
(RECORDS.md). The model keeps in columns what the API filters, sorts and changes (times,
names, ids, states), and the rest of the record, as it came, in its `document`. Showing a
record puts the columns back into the document at their paths; taking a record in
(`split`) does the reverse. Keys that repeat another (`saasId` is `appId`), labels drawn
from an enumeration (`fileType`'s `[4, "TEXT"]`) and keys that come from the tenant are
computed when shown and dropped when taken in, so they can never disagree."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from security.models import delimited

_MISSING = object()


def _identity(value: Any) -> Any:
    return value


def _never(value: Any) -> bool:
    return False


def is_none(value: Any) -> bool:
    return value is None


def is_empty(value: Any) -> bool:
    return not value


# --- value codecs --------------------------------------------------------------------------------


def to_ms(value: datetime | None) -> int | None:
    """An instant as integer milliseconds since the epoch (the records' `timestamp`)."""
    return None if value is None else int(value.timestamp() * 1000)


def from_ms(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def to_float_ms(value: datetime | None) -> float | None:
    """Milliseconds with their fraction, as an IP range's `lastModified` (1658225836921.4104)."""
    return None if value is None else value.timestamp() * 1000


def to_iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and a Z (`2021-07-13T18:26:58.662Z`)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def from_iso(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def split_text(text: str) -> list[str]:
    """The values of a `|a|b|` column (security.models.delimited writes them)."""
    return [part for part in text.split("|") if part]


def join_text(values: Sequence[Any] | None) -> str:
    """The `|a|b|` column of values (security.models.delimited)."""
    return delimited(values or [])


# --- the table -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """The model's `attr` is the record's value at `path`, through `out` (column to JSON)
    and `into` (JSON to column); left out of the record where `omit(column value)`."""

    path: tuple[str, ...]
    attr: str
    out: Callable[[Any], Any] = _identity
    into: Callable[[Any], Any] = _identity
    omit: Callable[[Any], bool] = _never


@dataclass(frozen=True)
class Same:
    """The record's value at `path` is the one at `source` (`uid` is `_id`)."""

    path: tuple[str, ...]
    source: tuple[str, ...]


@dataclass(frozen=True)
class Computed:
    """The record's value at `path` is `value(row, context)`: a label from an enumeration,
    the tenant's id, a link; left out where it gives `_MISSING`."""

    path: tuple[str, ...]
    value: Callable[[Any, Any], Any]


OMIT = _MISSING


@dataclass(frozen=True)
class Shape:
    columns: Sequence[Column]
    same: Sequence[Same] = ()
    computed: Sequence[Computed] = ()
    # Keys a record may carry that are not kept (a fixture's `is_open`, our own derived
    # values): dropped when a record is taken in.
    ignored: Sequence[tuple[str, ...]] = field(default_factory=tuple)

    def show(self, row: Any, context: Any = None, document: Any = None) -> dict[str, Any]:
        """The record of `row`: its document (or `document`, for a row that keeps none) with
        the columns, repeats and computed keys at their paths. The document is left as it
        is: only the objects on those paths are copied (a record of thousands of keys costs
        a few small copies)."""
        if document is None:
            document = row.document
        record: dict[str, Any] = dict(document) if isinstance(document, dict) else {}
        copied: set[int] = set()  # the objects already copied for this record
        for column in self.columns:
            value = getattr(row, column.attr)
            if column.omit(value):
                _pop(record, column.path, copied)
            else:
                _put(record, column.path, column.out(value), copied)
        for computed in self.computed:
            value = computed.value(row, context)
            if value is _MISSING:
                _pop(record, computed.path, copied)
            else:
                _put(record, computed.path, value, copied)
        for same in self.same:
            value = _get(record, same.source)
            if value is _MISSING:
                _pop(record, same.path, copied)
            else:
                _put(record, same.path, value, copied)
        return record

    def fill(self, row: Any, document: dict[str, Any]) -> None:
        """The row's columns from the keys still in its document: a row stored before a
        column was read from the record kept that key in its document."""
        for column in self.columns:
            value = _get(document, column.path)
            if value is not _MISSING:
                setattr(row, column.attr, column.into(value))

    def split(self, record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the model's column values, its document) from a record as an app reports it."""
        document = _copy(record)
        values: dict[str, Any] = {}
        for column in self.columns:
            value = _pop(document, column.path)
            if value is not _MISSING:
                values[column.attr] = column.into(value)
        for path in [same.path for same in self.same] + [c.path for c in self.computed]:
            _pop(document, path)
        for path in self.ignored:
            _pop(document, path)
        return values, document


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def _get(record: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = record
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return _MISSING
        node = node[key]
    return node


def _own(node: dict[str, Any], key: str, copied: set[int] | None) -> dict[str, Any] | None:
    """node[key] as an object of this record's own: copied the first time it is reached
    (the record's objects may be a row's own document), and then reused."""
    child = node.get(key)
    if not isinstance(child, dict):
        return None
    if copied is None or id(child) not in copied:
        child = node[key] = dict(child)
        if copied is not None:
            copied.add(id(child))
    return child


def _put(
    record: dict[str, Any], path: tuple[str, ...], value: Any, copied: set[int] | None = None
) -> None:
    """Sets the value at `path`, making the objects on the way the record's own."""
    node = record
    for key in path[:-1]:
        child = _own(node, key, copied)
        if child is None:
            child = node[key] = {}
            if copied is not None:
                copied.add(id(child))
        node = child
    node[path[-1]] = value


def _pop(record: dict[str, Any], path: tuple[str, ...], copied: set[int] | None = None) -> Any:
    """Removes and returns the value at `path` (making the objects on the way the record's
    own), or _MISSING."""
    node: Any = record
    for key in path[:-1]:
        node = _own(node, key, copied)
        if node is None:
            return _MISSING
    return node.pop(path[-1], _MISSING)
