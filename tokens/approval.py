"""Approval of new tokens (DECISIONS 95). Under a tenant's policy that requires it (for the
tokens that can change data, or for every token), a new API token is made pending: its
value is shown once as usual, and every use is refused (403, "Token pending approval")
until a full admin other than its requester approves it. A denial revokes it; a request not
decided within 7 days expires (the worker revokes it). The requester and the full admins
are e-mailed through the notices outbox; every step is an event.

Nobody decides their own request: not its requester (who generated it, for themselves or
for a service account), nor its owner. A tenant with a single full admin therefore cannot
approve that admin's own requests (DECISIONS 95 says what it does)."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.roles import Capability
from core.errors import Conflict
from core.http import SYSTEM, Origin
from tokens.events import token_event
from tokens.lifecycle import Action, EventReason, refusal
from tokens.models import ApiToken, EventKind
from tokens.notifications import tell_approval_decided
from tokens.services import token_revoke

NOTE_MAX_LENGTH = 200


class DecisionRefused(Conflict):
    """A request that cannot be decided as it is (not pending, or past its deadline)."""


class NotTheirDecision(PermissionDenied):
    """Only a full admin of the tenant decides a request, and never their own (a 403)."""


def pending_in(tenant_id: int):
    """The tenant's approval requests still waiting, the soonest to expire first."""
    return (
        ApiToken.objects.for_tenant(tenant_id)
        .filter(revoked_at__isnull=True, pending_until__isnull=False)
        .select_related("user", "created_by", "tenant")
        .order_by("pending_until", "pk")
    )


def is_own_request(token: ApiToken, user) -> bool:
    return user.pk in (token.user_id, token.created_by_id)


def decision_refusal(token: ApiToken, user, now: datetime) -> Exception | None:
    """Why `user` may not decide `token`'s request now (None: they may): NotTheirDecision (403)
    for anyone but a full admin other than its requester and owner, DecisionRefused (409)
    for a request that is not pending or has expired."""
    if user.tenant_id != token.tenant_id or Capability.TOKENS_MANAGE_ALL not in user.capabilities:
        return NotTheirDecision("Only a full admin decides approval requests.")
    if (refused := refusal(token, Action.APPROVE, now)) is not None:
        return DecisionRefused(refused.message)
    if is_own_request(token, user):
        return NotTheirDecision(
            "You cannot approve or deny your own request: another full admin decides it."
        )
    if token.pending_until is not None and token.pending_until <= now:
        return DecisionRefused(
            f"This request expired at {token.pending_until:%Y-%m-%d %H:%M} UTC, undecided: "
            "its requester generates a new token if one is still needed."
        )
    return None


def _decide(token: ApiToken, by, now: datetime) -> ApiToken:
    """The token's row under its chain's lock, checked as decidable by `by`."""
    current = next((m for m in ApiToken.objects.lock_chain(token) if m.pk == token.pk), None)
    if current is None:
        raise DecisionRefused("That token does not exist.")
    if (refused := decision_refusal(current, by, now)) is not None:
        raise refused
    return current


def _note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": [f"At most {NOTE_MAX_LENGTH} characters."]})
    return note


@transaction.atomic
def token_approve(*, token: ApiToken, by, note: str = "", origin: Origin = SYSTEM) -> ApiToken:
    """Approves a pending token: it works from now on. NotTheirDecision (a 403) for its requester
    or owner or anyone but a full admin of its tenant; DecisionRefused (a 409) when it is
    not pending, or its request expired."""
    note = _note(note)
    now = timezone.now()
    current = _decide(token, by, now)
    # Conditional: of two decisions at once (on SQLite, which takes no row lock), one wins.
    decided = ApiToken.objects.filter(
        pk=current.pk, pending_until__isnull=False, revoked_at__isnull=True
    ).update(pending_until=None, approved_at=now, approved_by=by)
    if not decided:
        raise DecisionRefused("This token is not pending approval.")
    for copy in (current, token):
        copy.pending_until, copy.approved_at, copy.approved_by = None, now, by
    said = f' Note: "{note}"' if note else ""
    token_event(
        token=current,
        kind=EventKind.APPROVED,
        by=by,
        origin=origin,
        detail=f"Approved: it works from now on.{said}"[:300],
        at=now,
    )
    tell_approval_decided(current, "approved", by, note)
    return current


@transaction.atomic
def token_deny(*, token: ApiToken, by, note: str = "", origin: Origin = SYSTEM) -> ApiToken:
    """Denies a pending token: it is revoked (reason `denied`, the note in its event), and
    its requester told. The same refusals as token_approve."""
    note = _note(note)
    now = timezone.now()
    current = _decide(token, by, now)
    said = f' Note: "{note}"' if note else ""
    token_revoke(
        token=current,
        by=by,
        reason=EventReason.DENIED,
        origin=origin,
        detail=f"Denied approval, and so revoked.{said}"[:300],
        system="Approval",
    )
    token.revoked_at, token.revoked_by, token.revoked_reason = (
        current.revoked_at,
        current.revoked_by,
        current.revoked_reason,
    )
    tell_approval_decided(current, "denied", by, note)
    return current


def approval_requests_expire(now: datetime | None = None) -> int:
    """Revokes the requests not decided in time (the worker's job, every run), each in its
    own transaction, and tells their requesters. Two workers at once revoke each once."""
    now = now or timezone.now()
    expired = 0
    overdue = (
        ApiToken.objects.filter(revoked_at__isnull=True, pending_until__lte=now)
        .select_related("user", "created_by", "tenant")
        .order_by("pk")
    )
    for token in overdue[:500]:
        with transaction.atomic():
            if token_revoke(
                token=token,
                by=None,
                reason=EventReason.APPROVAL_EXPIRED,
                detail="Revoked: its approval request was not decided within 7 days.",
                system="Approval",
            ):  # another worker, or its requester, revoked it first otherwise
                tell_approval_decided(token, "expired")
                expired += 1
    return expired
