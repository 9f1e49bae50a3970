"""The token event log's one writer: every event of a token (generated, first used, rotated,
revoked, refused, reminded) and every change of a tenant's token policy is appended here,
and nothing updates or deletes a row (tokens/models.py)."""

from datetime import datetime

from django.utils import timezone

from core.http import SYSTEM, Origin
from tokens.models import ActorKind, ApiToken, EventKind, TokenEvent


def token_event(
    *,
    token: ApiToken,
    kind: str,
    origin: Origin = SYSTEM,
    by=None,
    reason: str = "",
    detail: str = "",
    public: bool = False,
    count: int = 1,
    at: datetime | None = None,
    system: str = "System",
) -> TokenEvent:
    """Appends one event to the token's log: `by` (a user) did it, else the system (`system`
    names which part of it, a policy say) or a public report; from `origin`'s address and
    user agent."""
    if public:
        actor_kind, label = ActorKind.PUBLIC, "Public report"
    elif by is not None and getattr(by, "pk", None) is not None:
        actor_kind, label = ActorKind.USER, by.username
    else:
        actor_kind, label = ActorKind.SYSTEM, system
    return _append(
        tenant_id=token.tenant_id,
        token=token,
        owner_id=token.user_id,
        token_name=token.name,
        token_kind=token.kind,
        token_suffix=token.suffix,
        kind=kind,
        reason=reason,
        actor=by if actor_kind == ActorKind.USER else None,
        actor_kind=actor_kind,
        label=label,
        origin=origin,
        detail=detail,
        count=count,
        created=at or timezone.now(),
    )


def policy_event(*, tenant_id: int, by, origin: Origin, detail: str) -> TokenEvent:
    """Appends a change of the tenant's token policy to the log (an event of no token)."""
    return tenant_event(
        tenant_id=tenant_id, kind=EventKind.POLICY_CHANGED, by=by, origin=origin, detail=detail
    )


def tenant_event(*, tenant_id: int, kind: str, by, origin: Origin, detail: str) -> TokenEvent:
    """Appends an event of the tenant's tokens as a whole (no one token): a policy change, an
    export of the credential inventory; `by` a user of the tenant."""
    return _append(
        tenant_id=tenant_id,
        token=None,
        owner=None,
        kind=kind,
        actor=by,
        actor_kind=ActorKind.USER,
        label=by.username,
        origin=origin,
        detail=detail,
    )


def service_account_event(*, account, by, origin: Origin, detail: str, **signal) -> TokenEvent:
    """A service account created or changed (accounts.signals.service_account_changed): an
    event of the tenant, by the full admin who did it (the system, if nobody)."""
    return _append(
        tenant_id=account.tenant_id,
        token=None,
        owner=account,
        kind=EventKind.SERVICE_ACCOUNT,
        actor=by,
        actor_kind=ActorKind.USER if by is not None else ActorKind.SYSTEM,
        label=by.username if by is not None else "System",
        origin=origin,
        detail=detail,
    )


def _append(*, label: str, origin: Origin, detail: str, **fields) -> TokenEvent:
    """The one writer of the log: what comes from outside is cut to its column's length."""
    return TokenEvent.objects.create(
        actor_label=label[:200],
        source_ip=origin.ip,
        user_agent=origin.user_agent[:300],
        detail=detail[:300],
        **fields,
    )
