"""Keyset positions: where a reader stopped in rows ordered by (time, id), so that the next
read resumes after it with no row skipped or repeated, however many rows share a time. The
data API's scan mode (security/cursors.py) and the SIEM feed (extensions/feed.py) both hand
these out, each wrapped in its own wire format; this is the one codec for what is inside.

Times are kept in whole microseconds since the epoch: exact, unlike the milliseconds the
data API shows."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Q

from core.inputs import INT64

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_MICROS = 253402300799999999  # 9999-12-31T23:59:59.999999Z


def _count(value: Any, high: int) -> int | None:
    """A whole number from 0 to `high`, as a JSON number or ASCII digits; None otherwise."""
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()) or len(value) > 19:
            return None
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        return None
    return value


@dataclass(frozen=True)
class Position:
    micros: int
    pk: int

    @classmethod
    def of(cls, when: datetime, pk: int) -> "Position":
        return cls((when - EPOCH) // timedelta(microseconds=1), pk)

    @classmethod
    def parse(cls, micros: Any, pk: Any) -> "Position | None":
        """From the two parts as a cursor carried them (numbers or digits), or None when they
        are not parts of a position this product made."""
        micros_value, pk_value = _count(micros, MAX_MICROS), _count(pk, INT64)
        if micros_value is None or pk_value is None:
            return None
        return cls(micros_value, pk_value)

    @classmethod
    def from_text(cls, text: str) -> "Position | None":
        """From `{micros}_{pk}`, as `text` writes it."""
        micros, _, pk = text.partition("_")
        return cls.parse(micros, pk)

    @property
    def text(self) -> str:
        return f"{self.micros}_{self.pk}"

    @property
    def at(self) -> datetime:
        return EPOCH + timedelta(microseconds=self.micros)

    def after(self, time_field: str, *, descending: bool = False) -> Q:
        """Rows past this position in (time, id) order. The first condition alone bounds an
        index range; the second sorts out the rows that share the position's time."""
        at = self.at
        if descending:
            return Q(**{f"{time_field}__lte": at}) & (
                Q(**{f"{time_field}__lt": at}) | Q(**{time_field: at, "pk__lt": self.pk})
            )
        return Q(**{f"{time_field}__gte": at}) & (
            Q(**{f"{time_field}__gt": at}) | Q(**{time_field: at, "pk__gt": self.pk})
        )
