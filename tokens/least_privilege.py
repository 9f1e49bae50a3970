"""What a token used against what it holds: per capability, its last use and its requests in
30 days (tokens/usage.py counts them without a write per request), and the narrowing it
could take; and, for a tenant's full admins, the tokens that hold capabilities they have not
used in 30 days."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.roles import SCOPES
from core.cache import MAP_GET, run_batch
from tokens.models import ApiToken, Kind, TokenCapabilityDay
from tokens.usage import DAYS, capabilities_key, capability_use_of

EVIDENCE_DAYS = DAYS  # "unused" means: not in this many days
NARROWABLE = frozenset(scope.value for scope in SCOPES)


@dataclass
class Evidence:
    """A token's capabilities now, each with its use (`uses`: capability, last_used,
    requests_30d), those unused in EVIDENCE_DAYS (`unused`), and the narrowing it could take
    (`narrowing`: the scopes it used; None when there is none to take, `why` says why)."""

    uses: list[dict] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    narrowing: list[str] | None = None
    why: str = ""


def _narrowing(held: list[str], used: list[str]) -> tuple[list[str] | None, str]:
    if not used:
        return None, f"It used none of its capabilities in {EVIDENCE_DAYS} days: revoke it."
    if len(used) == len(held):
        return None, f"It used every capability it holds in {EVIDENCE_DAYS} days."
    if not set(used) <= NARROWABLE:
        return None, (
            "It used Tokens.manage_all, which a narrowed token cannot carry: narrowing it "
            "would break what it does."
        )
    return sorted(used), ""


def used_against_granted(token: ApiToken, now: datetime | None = None) -> Evidence:
    """The token's capabilities now against what it used (database and cache)."""
    now = now or timezone.now()
    since = now - timedelta(days=EVIDENCE_DAYS)
    use = capability_use_of(token, now)
    held = sorted(token.capabilities)
    evidence = Evidence()
    for name in held:
        entry = use.get(name, {"last_used": None, "requests_30d": 0})
        evidence.uses.append({"capability": name, **entry})
        if entry["last_used"] is None or entry["last_used"] < since:
            evidence.unused.append(name)
    used = [name for name in held if name not in evidence.unused]
    if evidence.unused:
        evidence.narrowing, evidence.why = _narrowing(held, used)
    else:
        evidence.why = f"It used every capability it holds in {EVIDENCE_DAYS} days."
    return evidence


SHOWN = 50
COUNT_BOUND = 1_000
CHUNK = 500


@dataclass
class Overprivileged:
    """The tenant's current API tokens, made at least EVIDENCE_DAYS ago, that hold
    capabilities unused in that time: the first SHOWN (oldest first: `tokens`, each with
    `unused` and `narrowing` set) and how many (`count`, up to COUNT_BOUND + 1)."""

    tokens: list[ApiToken] = field(default_factory=list)
    count: int = 0

    @property
    def over_bound(self) -> bool:
        return self.count > COUNT_BOUND


def _used_in(chunk: list[ApiToken], since: datetime) -> dict[int, set[str]]:
    """Per token of `chunk`, the capabilities it used since `since`: the database's days,
    and each token's last uses that the cache still holds (one round trip)."""
    used: dict[int, set[str]] = {token.pk: set() for token in chunk}
    rows = TokenCapabilityDay.objects.filter(
        token__in=[token.pk for token in chunk], last_at__gte=since
    ).values_list("token_id", "capability")
    for token_id, name in rows:
        used[token_id].add(name)
    pending = run_batch([(MAP_GET, capabilities_key(token.pk)) for token in chunk])
    for token, last in zip(chunk, pending, strict=True):
        for name, stamp in (last or {}).items():
            if float(stamp) >= since.timestamp():
                used[token.pk].add(name)
    return used


def overprivileged_tokens(tenant_id: int, now: datetime | None = None) -> Overprivileged:
    """The tenant's tokens holding capabilities they have not used in EVIDENCE_DAYS days,
    with the narrowing each could take; read in chunks, oldest first, stopping at the
    count's bound."""
    now = now or timezone.now()
    since = now - timedelta(days=EVIDENCE_DAYS)
    found = Overprivileged()
    tokens = (
        ApiToken.objects.for_tenant(tenant_id)
        .current()
        .filter(kind=Kind.API, created_at__lte=since)
        .select_related("user")
        .order_by("created_at", "pk")
    )
    chunk: list[ApiToken] = []
    rows = tokens.iterator(chunk_size=CHUNK)
    try:
        for token in rows:
            chunk.append(token)
            if len(chunk) == CHUNK:
                _take(found, chunk, now)
                chunk = []
                if found.count > COUNT_BOUND:
                    return found
        _take(found, chunk, now)
    finally:
        rows.close()  # type: ignore[attr-defined]  # a generator: its cursor closed now
    return found


def _take(found: Overprivileged, chunk: list[ApiToken], now: datetime) -> None:
    if not chunk:
        return
    since = now - timedelta(days=EVIDENCE_DAYS)
    used = _used_in(chunk, since)
    for token in chunk:
        if token.expires_at is not None and token.expires_at <= now:
            continue
        held = sorted(token.capabilities)
        token.unused = [name for name in held if name not in used[token.pk]]  # type: ignore[attr-defined]
        if not token.unused:  # type: ignore[attr-defined]
            continue
        found.count += 1
        if len(found.tokens) < SHOWN:
            kept = [name for name in held if name in used[token.pk]]
            token.narrowing, token.why = _narrowing(held, kept)  # type: ignore[attr-defined]
            found.tokens.append(token)
        if found.count > COUNT_BOUND:
            return
