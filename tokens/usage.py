"""Usage insight without a write per request: each authenticated request leaves its count,
its address and its user agent for the shared cache, sent in the round trip the throttle
makes anyway (core/throttling.py); at most once a minute per token, the request that writes
last_used_at also folds what the cache holds into the database (the days' counts, the last
address and user agent, the last 5 distinct addresses). Reading a token's usage adds what
the cache still holds, so the numbers shown are current without a write.

If Redis is lost, the counts and addresses since each token's last fold are lost with it;
the event log never is (it is written to the database).

A process adds up its own uses first (`Tally`) and sends them at most once every
TOKEN_USAGE_FLUSH_SECONDS (1 s), with the round trip of the request that finds them due, or
from a timer when no request comes: so a busy token costs the cache a few writes a second per
process, not a few per request, and a request only adds to a dictionary. A process that
dies takes its last second of counts with it."""

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Max, Q, Sum
from django.utils import timezone

from accounts.roles import Capability
from core.cache import ADD, DECREASE, DELETE, GET, MAP_GET, MAP_PUT, run_batch
from core.http import Origin
from tokens.models import ApiToken, TokenCapabilityDay, TokenUsageDay

logger = logging.getLogger(__name__)

DAYS = 30  # the chart's span, and how long the cache keeps a day's count
RECENT_IPS = 5
LIFETIME = (DAYS + 1) * 86400


def _day_number(day: date | datetime) -> int:
    """A UTC day as the cache's keys write it: 20261206."""
    return day.year * 10000 + day.month * 100 + day.day


def _day_key(token_id: int, day: date) -> str:
    return f"token-usage:{token_id}:day:{_day_number(day)}"


def _ips_key(token_id: int) -> str:
    return f"token-usage:{token_id}:ips"


def _capability_day_key(token_id: int, capability: str, day: date) -> str:
    return f"token-usage:{token_id}:cap:{capability}:day:{_day_number(day)}"


def capabilities_key(token_id: int) -> str:
    return f"token-usage:{token_id}:caps"  # capability -> the time of its last use


CAPABILITIES = tuple(c.value for c in Capability)
_EPOCH = date(1970, 1, 1)


class Tally:
    """This process's uses not yet sent to the cache: counts by (token, day) and, per token,
    each address's last time with its user agent. `add()` returns the cache writes that are
    due (all of them, once `interval` seconds have passed since the last send), for the
    caller to send in its round trip; a thread of the process sends what an idle process
    still holds, and the process sends the rest as it exits."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.clock = clock
        self.sleep = sleep  # how the sender thread waits between looks
        self._lock = threading.Lock()
        self._counts: dict[tuple[int, int], int] = {}
        # Per token, each address's last use and user agent (formatted when sent).
        self._ips: dict[int, dict[str, tuple[datetime, str]]] = {}
        # Per (token, capability, day): uses; per (token, capability): the last one's time.
        self._capabilities: dict[tuple[int, str, int], int] = {}
        self._capability_last: dict[tuple[int, str], float] = {}
        self._sent = clock()
        self._sender = False  # whether this process's sender thread runs

    def add(self, token_id: int, origin: Origin, now: datetime, interval: float) -> list[tuple]:
        # On the path of every authenticated request: a few dictionary writes, nothing more.
        key = (token_id, _day_number(now))
        with self._lock:
            counts = self._counts
            counts[key] = counts.get(key, 0) + 1
            addresses = self._ips.get(token_id)
            if addresses is None:
                addresses = self._ips[token_id] = {}
            addresses[origin.ip or ""] = (now, origin.user_agent)
            if self.clock() - self._sent >= interval:
                return self._drain()
            if not self._sender:
                self._sender = True
                threading.Thread(
                    target=self._send_when_idle,
                    args=(interval,),
                    daemon=True,
                    name="token-usage-sender",
                ).start()
            return []

    def add_capability(
        self, token_id: int, capability: str, stamp: float, interval: float
    ) -> list[tuple]:
        """A request with the token passed a check of `capability` at `stamp` (seconds since
        the epoch): counted here; returns the cache writes that are due, as `add` does (the
        permission check comes before the throttle's round trip, which sends them). A few
        dictionary writes: it runs on every request that a capability lets through."""
        key = (token_id, capability, int(stamp // 86400))  # the UTC day, as a day number
        with self._lock:
            self._capabilities[key] = self._capabilities.get(key, 0) + 1
            self._capability_last[(token_id, capability)] = stamp
            if self.clock() - self._sent >= interval:
                return self._drain()
            return []  # the sender thread, started by the request's own use, sends it

    def forked(self) -> None:
        """In a child process (a forking server's worker): the parent's uses are the
        parent's to send, and the child needs a sender thread of its own."""
        self._lock = threading.Lock()
        self._counts, self._ips = {}, {}
        self._capabilities, self._capability_last = {}, {}
        self._sent = self.clock()
        self._sender = False

    def flush(self) -> None:
        """Sends what is held now."""
        with self._lock:
            ops = self._drain()
        if ops:
            run_batch(ops)

    def _send_when_idle(self, interval: float) -> None:
        while True:
            self.sleep(interval)
            with self._lock:
                held = self._counts or self._capabilities
                due = held and self.clock() - self._sent >= interval
                ops = self._drain() if due else []
            if ops:
                try:
                    run_batch(ops)  # Redis out of reach: this process's memory (core/cache.py)
                except Exception:
                    logger.exception("token usage counts could not be sent")

    def _drain(self) -> list[tuple]:
        ops: list[tuple] = [
            (ADD, f"token-usage:{token_id}:day:{day}", count, LIFETIME)
            for (token_id, day), count in self._counts.items()
        ]
        for token_id, addresses in self._ips.items():
            ops += [
                (MAP_PUT, _ips_key(token_id), ip, f"{at.timestamp():.3f} {agent}", LIFETIME)
                for ip, (at, agent) in addresses.items()
            ]
        ops += [
            (
                ADD,
                _capability_day_key(token_id, capability, _EPOCH + timedelta(days=day)),
                n,
                LIFETIME,
            )
            for (token_id, capability, day), n in self._capabilities.items()
        ]
        ops += [
            (MAP_PUT, capabilities_key(token_id), capability, f"{stamp:.3f}", LIFETIME)
            for (token_id, capability), stamp in self._capability_last.items()
        ]
        self._counts, self._ips = {}, {}
        self._capabilities, self._capability_last = {}, {}
        self._sent = self.clock()
        return ops


TALLY = Tally()
atexit.register(TALLY.flush)
os.register_at_fork(after_in_child=TALLY.forked)


def use_ops(token_id: int, origin: Origin, now: datetime) -> list[tuple]:
    """The cache writes due after this use (often none: see Tally)."""
    return TALLY.add(token_id, origin, now, settings.TOKEN_USAGE_FLUSH_SECONDS)


def capability_ops(token_id: int, capability: str) -> list[tuple]:
    """The cache writes due after a use of `capability` (often none: see Tally)."""
    return TALLY.add_capability(
        token_id, capability, time.time(), settings.TOKEN_USAGE_FLUSH_SECONDS
    )


def _pending(token: ApiToken, now: datetime) -> tuple[dict[date, int], dict[str, float], Any]:
    """What the cache holds for `token`: counts by day (of the last DAYS days), the time of
    each address (an unknown address is ""), and the last use (time, address, user agent)."""
    days = [now.date() - timedelta(days=n) for n in range(DAYS)]
    results = run_batch(
        [(GET, _day_key(token.pk, day)) for day in days] + [(MAP_GET, _ips_key(token.pk))]
    )
    counts = {day: int(value) for day, value in zip(days, results, strict=False) if value}
    ips: dict[str, float] = {}
    last = None
    for ip, value in (results[DAYS] or {}).items():
        stamp, _, agent = value.partition(" ")
        ips[ip] = float(stamp)
        if last is None or ips[ip] > last[0]:
            last = (ips[ip], ip or None, agent)
    return counts, {ip: when for ip, when in ips.items() if ip}, last


def _pending_capabilities(
    token: ApiToken, now: datetime
) -> tuple[dict[tuple[str, date], int], dict[str, float]]:
    """What the cache holds of the token's capability uses: counts by (capability, day) over
    the last DAYS days, and each capability's last use (a timestamp)."""
    days = [now.date() - timedelta(days=n) for n in range(DAYS)]
    keys = [(name, day) for name in CAPABILITIES for day in days]
    results = run_batch(
        [(GET, _capability_day_key(token.pk, name, day)) for name, day in keys]
        + [(MAP_GET, capabilities_key(token.pk))]
    )
    counts = {key: int(value) for key, value in zip(keys, results, strict=False) if value}
    last = {name: float(stamp) for name, stamp in (results[len(keys)] or {}).items()}
    return counts, last


def _add_capability_days(
    token: ApiToken, counts: dict[tuple[str, date], int], last: dict[str, float]
) -> None:
    """Adds each (capability, day)'s count to its row, made where missing, keeping the later
    last use: one statement that SQLite and PostgreSQL write alike."""
    if not counts:
        return
    table = connection.ops.quote_name(TokenCapabilityDay._meta.db_table)
    rows = ", ".join(["(%s, %s, %s, %s, %s)"] * len(counts))
    params: list = []
    for (name, day), count in sorted(counts.items()):
        stamp = last.get(name)
        at = datetime.fromtimestamp(stamp, tz=UTC) if stamp else timezone.now()
        # A day before the last use's day ended by its last second, at the latest.
        end_of_day = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)
        params += [token.pk, name, day, count, min(at, end_of_day)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (token_id, capability, day, count, last_at) "  # noqa: S608
            f"VALUES {rows} ON CONFLICT (token_id, capability, day) DO UPDATE SET "
            f"count = {table}.count + excluded.count, last_at = CASE WHEN excluded.last_at > "
            f"{table}.last_at THEN excluded.last_at ELSE {table}.last_at END",
            params,
        )


def capability_use_of(token: ApiToken, now: datetime | None = None) -> dict[str, dict]:
    """Per capability the token used: its last use and its requests over the last DAYS
    days; what the database holds plus what the cache still holds."""
    now = now or timezone.now()
    counts, last = _pending_capabilities(token, now)
    since = now.date() - timedelta(days=DAYS)
    used: dict[str, dict] = {}
    stored = (
        TokenCapabilityDay.objects.filter(token=token)
        .values("capability")
        .annotate(last=Max("last_at"), recent=Sum("count", filter=Q(day__gt=since)))
        .order_by()
    )
    for row in stored:
        used[row["capability"]] = {"last_used": row["last"], "requests_30d": row["recent"] or 0}
    for (name, _day), count in counts.items():
        entry = used.setdefault(name, {"last_used": None, "requests_30d": 0})
        entry["requests_30d"] += count
    for name, stamp in last.items():
        entry = used.setdefault(name, {"last_used": None, "requests_30d": 0})
        at = datetime.fromtimestamp(stamp, tz=UTC)
        if entry["last_used"] is None or at > entry["last_used"]:
            entry["last_used"] = at
    return used


def _merged_ips(stored: list, pending: dict[str, float], extra: tuple | None = None) -> list[dict]:
    """The last RECENT_IPS distinct addresses, newest first: stored, pending, and this use."""
    times: dict[str, float] = {}
    for entry in stored or []:
        if isinstance(entry, dict) and entry.get("ip"):
            times[entry["ip"]] = datetime.fromisoformat(entry["last"]).timestamp()
    for ip, stamp in [*pending.items(), *([extra] if extra else [])]:
        times[ip] = max(stamp, times.get(ip, 0.0))
    newest = sorted(times.items(), key=lambda item: item[1], reverse=True)[:RECENT_IPS]
    return [
        {"ip": ip, "last": datetime.fromtimestamp(stamp, tz=UTC).isoformat()}
        for ip, stamp in newest
    ]


class Fold:
    """What a fold writes: the token's columns (with last_used_at, in the one conditional
    UPDATE of tokens.services.token_mark_used) and, once that UPDATE won, the days' counts."""

    def __init__(self, token: ApiToken, origin: Origin, now: datetime) -> None:
        self.token = token
        self.counts, ips, _ = _pending(token, now)
        self.capability_counts, self.capability_last = _pending_capabilities(token, now)
        # A token never used has no addresses yet: its (deferred) list is not read.
        stored = [] if token.last_used_at is None else token.recent_ips
        self.columns = {
            "last_used_ip": origin.ip,
            "last_used_user_agent": origin.user_agent[:300],
            "recent_ips": _merged_ips(
                stored, ips, (origin.ip, now.timestamp()) if origin.ip else None
            ),
        }

    def commit(self) -> None:
        """The days' counts into the database, and out of the cache (DECREASE, so uses
        counted meanwhile stay for the next fold)."""
        _add_days(self.token, self.counts)
        _add_capability_days(self.token, self.capability_counts, self.capability_last)
        for name, value in self.columns.items():
            setattr(self.token, name, value)
        ops: list[tuple] = [
            (DECREASE, _day_key(self.token.pk, day), n) for day, n in self.counts.items()
        ]
        ops += [
            (DECREASE, _capability_day_key(self.token.pk, name, day), n)
            for (name, day), n in self.capability_counts.items()
        ]
        run_batch(
            [*ops, (DELETE, _ips_key(self.token.pk)), (DELETE, capabilities_key(self.token.pk))]
        )


def _add_days(token: ApiToken, counts: dict[date, int]) -> None:
    """Adds each day's count to the day's row, made where missing: one statement (an upsert
    that SQLite and PostgreSQL write alike)."""
    if not counts:
        return
    table = connection.ops.quote_name(TokenUsageDay._meta.db_table)
    rows = ", ".join(["(%s, %s, %s)"] * len(counts))
    params: list = []
    for day, count in sorted(counts.items()):
        params += [token.pk, day, count]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (token_id, day, count) VALUES {rows} "  # noqa: S608
            f"ON CONFLICT (token_id, day) DO UPDATE SET count = {table}.count + excluded.count",
            params,
        )


def _latest(token: ApiToken, last) -> tuple[datetime | None, str | None, str]:
    """The last use (time, address, user agent): the cache's `last` where it is newer than
    what the database holds."""
    if last and (token.last_used_at is None or last[0] > token.last_used_at.timestamp()):
        return datetime.fromtimestamp(last[0], tz=UTC), last[1], last[2]
    return token.last_used_at, token.last_used_ip, token.last_used_user_agent


def last_used_at(token: ApiToken, now: datetime | None = None) -> datetime | None:
    """When the token was last used, counting what the cache holds and the database does not
    yet (a use in the last minute)."""
    _, _, last = _pending(token, now or timezone.now())
    return _latest(token, last)[0]


def usage_of(token: ApiToken, now: datetime | None = None) -> dict[str, Any]:
    """A token's usage as shown: requests per day for the last DAYS days (oldest first), the
    last use with its address and user agent, and the last RECENT_IPS addresses; what the
    database holds plus what the cache still holds."""
    now = now or timezone.now()
    counts, ips, last = _pending(token, now)
    stored = dict(
        TokenUsageDay.objects.filter(
            token=token, day__gt=now.date() - timedelta(days=DAYS)
        ).values_list("day", "count")
    )
    days = [now.date() - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    per_day = [
        {"day": day.isoformat(), "count": stored.get(day, 0) + counts.get(day, 0)} for day in days
    ]
    last_used, last_ip, last_agent = _latest(token, last)
    return {
        "last_used": last_used,
        "last_used_ip": last_ip,
        "last_used_user_agent": last_agent,
        "recent_ips": _merged_ips(token.recent_ips, ips),
        "requests_per_day": per_day,
    }


def usage_history_add(
    *,
    token: ApiToken,
    per_day: dict[date, int],
    addresses: list[tuple[str, datetime]],
    user_agent: str,
) -> None:
    """Writes usage that happened elsewhere (the demo data's weeks of history) as a fold
    would have: the days' counts, and the last use (the latest of `addresses`) with its
    address, `user_agent` and the last RECENT_IPS distinct addresses. Nothing else calls it:
    real uses come through the tally."""
    if not addresses:
        return
    _add_days(token, per_day)
    latest_ip, latest = max(addresses, key=lambda entry: entry[1])
    stamps = {ip: when.timestamp() for ip, when in sorted(addresses, key=lambda e: e[1])}
    ApiToken.objects.filter(pk=token.pk).update(
        last_used_at=latest,
        last_used_ip=latest_ip,
        last_used_user_agent=user_agent[:300],
        recent_ips=_merged_ips([], stamps),
    )


def capability_history_add(
    *, token: ApiToken, capability: str, per_day: dict[date, int], last: datetime
) -> None:
    """Writes uses of `capability` that happened elsewhere (the demo data's weeks of history)
    as a fold would have. Nothing else calls it: real uses come through the tally."""
    counts = {(capability, day): count for day, count in per_day.items() if count}
    _add_capability_days(token, counts, {capability: last.timestamp()})
