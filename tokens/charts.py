"""The requests-per-day chart of a token's page: bars drawn on the server as inline SVG, so
that it reads without JavaScript; the page gives the same numbers as a table for screen
readers and for copying."""

from dataclasses import dataclass

WIDTH, HEIGHT, GAP, BASELINE = 600, 120, 2, 100


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: str
    count: int


def bars(per_day: list[dict]) -> tuple[list[Bar], int]:
    """A bar per day (oldest on the left) scaled to the busiest day, and that day's count."""
    peak = max((day["count"] for day in per_day), default=0)
    slot = WIDTH / max(len(per_day), 1)
    drawn = []
    for index, day in enumerate(per_day):
        height = 0.0 if not peak else BASELINE * day["count"] / peak
        if day["count"] and height < 1:
            height = 1.0  # a day with requests is never drawn as none
        drawn.append(
            Bar(
                x=round(index * slot + GAP / 2, 2),
                y=round(BASELINE - height, 2),
                width=round(slot - GAP, 2),
                height=round(height, 2),
                day=day["day"],
                count=day["count"],
            )
        )
    return drawn, peak
