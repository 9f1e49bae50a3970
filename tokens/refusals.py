"""Refused uses of a token and what follows them (tokens/lifecycle.py decides which): an
event at most once a minute per token, an alert for a late use of a rotated-out value, and
the revocation of a whole rotation chain when a rotated-out value is used by someone else."""

from django.core.cache import cache
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from core.http import Origin
from tokens.events import token_event
from tokens.lifecycle import EventReason, Refusal, Then, then_for
from tokens.models import ApiToken, EventKind, TokenEvent
from tokens.policy import policy_of
from tokens.services import revoke_chain
from tokens.signals import token_address_refused, token_reused, token_used_late

REFUSAL_WINDOW = 60  # seconds: at most one refused-use event per token in this long
ALERT_WINDOW = 3600  # seconds: at most one late-use (or address) alert per token in this long

REFUSAL_DETAILS: dict[str, str] = {
    EventReason.REVOKED: "Refused: the token is revoked.",
    EventReason.OWNER_DEPROVISIONED: "Refused: its owner is deprovisioned.",
    EventReason.OTHER_TENANT: "Refused: used on another tenant's address.",
    EventReason.EXPIRED: "Refused: the token has expired.",
    EventReason.ROTATED_OUT: "Refused: a rotated-out value, used after its grace period; its "
    "successor still works.",
    EventReason.REUSED: "Refused: a rotated-out value, used to mint a new one; its rotation "
    "chain is revoked.",
    EventReason.ADDRESS_NOT_ALLOWED: "Refused: used from an address its allow-list does not "
    "include.",
}
STRICT_DETAIL = (
    "Refused: a rotated-out value, used after its grace period; the tenant's "
    "strict rotation policy revokes its rotation chain."
)


def token_refused(*, token: ApiToken, refused: Refusal, origin: Origin) -> TokenEvent | None:
    """A request with `token` was refused (tokens/lifecycle.py says why, and what follows).
    The first refusal of a minute is written as an event carrying how many refusals it
    stands for (those counted in the shared cache since the last event, itself included);
    the rest of the minute only count, so a client hammering with a revoked token cannot
    flood the log. Then what the lifecycle says follows: for a late use of a rotated-out
    value an alert (at most once an hour per token; under a strict policy the chain's
    revocation instead), for a rotated-out value minting a new one the chain's revocation
    and a high-severity alert. Returns the event, if one was written."""
    then = refused.then
    if then == Then.ALERT:
        then = then_for(refused, strict=policy_of(token.tenant_id).strict_rotation)
    detail = STRICT_DETAIL if then != refused.then else REFUSAL_DETAILS.get(refused.reason, "")
    event = _refusal_event(token, refused.reason, detail or "Refused.", origin)
    if then == Then.REVOKE_CHAIN:
        how = (
            "used to mint a new one"
            if refused.reason == EventReason.REUSED
            else "used after its grace period"
        )
        token_theft_detected(token=token, origin=origin, how=how)
    elif then in HOURLY_ALERTS:
        _alert_hourly(token, origin, then)
    return event


# What follows a refusal with an alert, at most one an hour per token: (its cache key's
# name, the signal security/ raises the alert on).
HOURLY_ALERTS: dict[str, tuple[str, Signal]] = {
    Then.ALERT: ("token-late-use", token_used_late),
    Then.ALERT_ADDRESS: ("token-address", token_address_refused),
}


def _alert_hourly(token: ApiToken, origin: Origin, then: str) -> None:
    """The tenant's alert for a refused use (a rotated-out value used late, a use from
    outside the allow-list): at most one an hour per token (the first of the hour is named,
    with its address and user agent; the events count the rest), after the commit."""
    name, signal = HOURLY_ALERTS[then]
    if not cache.add(f"{name}:{token.pk}:alert", 1, timeout=ALERT_WINDOW):
        return
    at = timezone.now()
    transaction.on_commit(
        lambda: signal.send(
            sender=ApiToken, token=token, at=at, ip=origin.ip, user_agent=origin.user_agent
        )
    )


def _refusal_event(token: ApiToken, reason: str, detail: str, origin: Origin):
    pending, gate = f"token-refused:{token.pk}:count", f"token-refused:{token.pk}:gate"
    cache.add(pending, 0, timeout=None)
    try:
        count = cache.incr(pending)
    except ValueError:  # the key expired between add and incr
        count = 1
    if not cache.add(gate, 1, timeout=REFUSAL_WINDOW):
        return None
    cache.delete(pending)
    if count > 1:
        detail += f" {count} requests since the last such event."
    return token_event(
        token=token,
        kind=EventKind.REFUSED,
        origin=origin,
        reason=reason,
        detail=detail,
        count=count,
    )


def token_theft_detected(*, token: ApiToken, origin: Origin, how: str) -> int:
    """A rotated-out value was used to mint a new one (or, under a strict policy, used after
    its grace period): a sign that someone else holds it. Every value of its rotation chain
    is revoked (reason "reused"), and its tenant gets a high-severity alert
    (tokens.signals.token_reused), once: a second detection that finds the chain revoked
    raises none. Returns how many were revoked."""
    now = timezone.now()
    with transaction.atomic():
        revoked = len(
            revoke_chain(
                token=token,
                by=None,
                reason=EventReason.REUSED,
                origin=origin,
                public=False,
                detail="",
                system="System",
            )
        )
        if revoked:  # of two requests at once with the old value, the one that revoked
            transaction.on_commit(
                lambda: token_reused.send(
                    sender=ApiToken, token=token, at=now, how=how, revoked=revoked
                )
            )
    return revoked
