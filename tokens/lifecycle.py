"""The token lifecycle, defined once: the states a token value can be in, what each action
may do in each state, and the refusal (its reason, its message, its HTTP status and what
follows it) where it may not. Authentication, services, the API, the pages, the admin and
the templates all ask here; none decides on its own.

States, in the order they are decided (the first that holds is the state):
- revoked: by its owner, an admin, a policy, a public report; of its whole rotation chain;
  denied approval, or its approval request not decided in time;
- pending: made under a policy that requires approval, and not yet approved (every use
  refused with a 403 until a full admin other than its requester approves it; tokens/
  approval.py);
- rotated: replaced by a rotation, its grace period running (it still works);
- rotated out: replaced, its grace period over (or its own expiry come during it);
- expired: its expiry has come;
- generated, active, inactive: it works; never used, used in the past 7 days (boundary
  included), used before that.
A rotated-out value is told apart from an expired one whatever its expiry: its use is the
sign of a forgotten script or of a thief, which an expired value is not.

`state_of` decides it for a token in hand, `status_conditions` as SQL conditions for the
queryset that lists and filters tokens; tests check that the two agree for every state."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q

from accounts.authentication import DEPROVISIONED_OWNER
from tokens.allowlist import address_allowed

ACTIVE_WINDOW = timedelta(days=7)


class Status(models.TextChoices):
    GENERATED = "generated", "Generated"
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    EXPIRED = "expired", "Expired"
    ROTATED = "rotated", "Rotated (in its grace period)"
    ROTATED_OUT = "rotated_out", "Rotated out"
    REVOKED = "revoked", "Revoked"
    PENDING = "pending", "Pending approval"


# The states in which a value works; the others are refused.
WORKING = frozenset({Status.GENERATED, Status.ACTIVE, Status.INACTIVE, Status.ROTATED})
# What the tokens table lists unless a status filter asks for another: current tokens.
CURRENT = (Status.GENERATED, Status.ACTIVE, Status.INACTIVE, Status.EXPIRED, Status.PENDING)


class EventReason(models.TextChoices):
    """Why a token was revoked, or why a request with it was refused."""

    NONE = "", "—"
    BY_OWNER = "by_owner", "By its owner"
    BY_ADMIN = "by_admin", "By an admin"
    BY_CUSTODIAN = "by_custodian", "By a custodian of its service account"
    BY_POLICY = "by_policy", "By a policy"
    EXPOSED = "exposed", "Exposed publicly"
    OWNER_DEPROVISIONED = "owner_deprovisioned", "Owner deprovisioned"
    REPLACED = "replaced", "Replaced by a new token"
    REVOKED = "revoked", "The token is revoked"
    EXPIRED = "expired", "The token has expired"
    OTHER_TENANT = "other_tenant", "Another tenant's token"
    ROTATED_OUT = "rotated_out", "Its value was rotated out"
    REUSED = "reused", "A rotated-out value was reused"
    DORMANT = "dormant", "Unused for the policy's time"
    ADDRESS_NOT_ALLOWED = "address_not_allowed", "Address not allowed"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    DENIED = "denied", "Approval denied"
    APPROVAL_EXPIRED = "approval_expired", "Approval not decided in time"


def grace_end(token) -> datetime | None:
    """Until when a rotated-out value works: its grace period, cut short by its own expiry
    (a rotation never lengthens the old value's life)."""
    end = token.grace_until
    if end is not None and token.expires_at is not None:
        end = min(end, token.expires_at)
    return end


def state_of(token, now: datetime) -> Status:
    """The state of `token` at `now` (see the module's docstring for the order)."""
    if token.revoked_at is not None:
        return Status.REVOKED
    if token.pending_until is not None:
        return Status.PENDING
    if token.replaced_at is not None:
        end = grace_end(token)
        return Status.ROTATED if end is not None and end > now else Status.ROTATED_OUT
    if token.expires_at is not None and token.expires_at <= now:
        return Status.EXPIRED
    if token.last_used_at is None:
        return Status.GENERATED
    return Status.ACTIVE if token.last_used_at >= now - ACTIVE_WINDOW else Status.INACTIVE


def status_conditions(now: datetime) -> dict[str, Q]:
    """`state_of` as conditions on the row's columns, each complete on its own (so that a
    filter by one state reads the partial indexes of current tokens). In the order of
    `state_of`; a Case/When over them annotates the status."""
    since = now - ACTIVE_WINDOW
    live = Q(revoked_at__isnull=True)
    current = live & Q(replaced_at__isnull=True)
    # A pending token is never used nor replaced (both are refused): only the states of an
    # unused current token need to leave it out.
    decided = Q(pending_until__isnull=True)
    unexpired = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    in_grace = Q(grace_until__gt=now) & unexpired
    return {
        Status.REVOKED: Q(revoked_at__isnull=False),
        Status.ROTATED: live & Q(replaced_at__isnull=False) & in_grace,
        Status.ROTATED_OUT: live & Q(replaced_at__isnull=False) & ~in_grace,
        Status.PENDING: live & Q(pending_until__isnull=False),
        Status.EXPIRED: current & Q(expires_at__lte=now) & decided,
        Status.GENERATED: current & Q(last_used_at__isnull=True) & unexpired & decided,
        Status.ACTIVE: current & Q(last_used_at__gte=since) & unexpired,
        Status.INACTIVE: current & Q(last_used_at__lt=since) & unexpired,
    }


class Action(models.TextChoices):
    USE = "use", "Call the API with it"
    SELF_ROTATE = "self_rotate", "Rotate itself (the value, at /tokens/self/rotate/)"
    ROTATE = "rotate", "Regenerate it (its owner, signed in)"
    REVOKE = "revoke", "Revoke it"
    APPROVE = "approve", "Approve it (a full admin other than its requester)"
    DENY = "deny", "Deny it (which revokes it)"


class Then(models.TextChoices):
    """What follows a refused use, besides the refusal and its event."""

    NOTHING = "", "Nothing more"
    # A rotated-out value used late: a script someone forgot, or a thief. Its tenant is
    # alerted (once an hour per token) and the successor stays live; a tenant whose policy
    # chose the strict answer gets REVOKE_CHAIN instead (see `then_for`).
    ALERT = "alert", "An alert; the successor stays live"
    # A rotated-out value used to mint a new one: theft. Every value of the chain is revoked
    # and a high-severity alert raised.
    REVOKE_CHAIN = "revoke_chain", "The whole rotation chain revoked, a high-severity alert"
    # A use from an address its allow-list does not hold: its tenant is alerted (once an
    # hour per token); the token stays live (its owner may have moved, or it leaked).
    ALERT_ADDRESS = "alert_address", "An alert naming the address"


INVALID_TOKEN = "Invalid token"  # noqa: S105 (a message, not a secret)
TOKEN_EXPIRED = "Token expired"  # noqa: S105


@dataclass(frozen=True)
class Refusal:
    """Why an action is refused: `reason` for the log, `message` for the caller (the API's
    detail, the page's form error), `status` the HTTP status, `then` what follows."""

    reason: str
    message: str
    status: int = 401
    then: str = Then.NOTHING


_REVOKED = Refusal(EventReason.REVOKED, INVALID_TOKEN)
_EXPIRED = Refusal(EventReason.EXPIRED, TOKEN_EXPIRED)
_LATE = Refusal(EventReason.ROTATED_OUT, INVALID_TOKEN, then=Then.ALERT)
_THEFT = Refusal(EventReason.REUSED, INVALID_TOKEN, then=Then.REVOKE_CHAIN)
_ALREADY_ROTATED = Refusal(
    EventReason.ROTATED_OUT, "This token was already rotated: rotate its successor.", 409
)
_ROTATE_REVOKED = Refusal(EventReason.REVOKED, "A revoked token cannot be rotated.", 409)
_REVOKE_REVOKED = Refusal(EventReason.REVOKED, "This token is already revoked.", 409)
TOKEN_PENDING = "Token pending approval"  # noqa: S105 (a message)
_PENDING = Refusal(EventReason.PENDING_APPROVAL, TOKEN_PENDING, 403)
_ROTATE_PENDING = Refusal(
    EventReason.PENDING_APPROVAL,
    "This token is pending approval: it can be regenerated once approved.",
    409,
)
_UNDECIDABLE = Refusal(EventReason.NONE, "This token is not pending approval.", 409)

# What each action may do in each state: None allows it, a Refusal says why not. This table
# is the lifecycle; tests walk every cell of it.
TRANSITIONS: dict[str, dict[str, Refusal | None]] = {
    Action.USE: {
        Status.GENERATED: None,
        Status.ACTIVE: None,
        Status.INACTIVE: None,
        Status.ROTATED: None,
        Status.ROTATED_OUT: _LATE,
        Status.EXPIRED: _EXPIRED,
        Status.REVOKED: _REVOKED,
        Status.PENDING: _PENDING,
    },
    Action.SELF_ROTATE: {
        Status.GENERATED: None,
        Status.ACTIVE: None,
        Status.INACTIVE: None,
        # A replaced value minting a new one, in its grace or after it, expired or not.
        Status.ROTATED: _THEFT,
        Status.ROTATED_OUT: _THEFT,
        Status.EXPIRED: _EXPIRED,
        Status.REVOKED: _REVOKED,
        Status.PENDING: _PENDING,
    },
    Action.ROTATE: {
        Status.GENERATED: None,
        Status.ACTIVE: None,
        Status.INACTIVE: None,
        Status.EXPIRED: None,  # a new value; the old one stays refused
        Status.ROTATED: _ALREADY_ROTATED,
        Status.ROTATED_OUT: _ALREADY_ROTATED,
        Status.REVOKED: _ROTATE_REVOKED,
        Status.PENDING: _ROTATE_PENDING,
    },
    Action.REVOKE: {  # any value of a chain revokes all of it (tokens.services.token_revoke)
        Status.GENERATED: None,
        Status.ACTIVE: None,
        Status.INACTIVE: None,
        Status.EXPIRED: None,
        Status.ROTATED: None,
        Status.ROTATED_OUT: None,
        Status.REVOKED: _REVOKE_REVOKED,
        Status.PENDING: None,  # its requester withdraws it, or an admin
    },
    # A decision on an approval request: in no state but pending (tokens/approval.py also
    # refuses a request past its deadline, and one's own).
    **{
        action: {
            **dict.fromkeys(Status, _UNDECIDABLE),
            Status.PENDING: None,
        }
        for action in (Action.APPROVE, Action.DENY)
    },
}


def refusal(token, action: str, now: datetime) -> Refusal | None:
    """Why `action` may not be done with or to `token` at `now` (None: it may)."""
    if (
        token.revoked_at is None
        and token.replaced_at is None
        and token.pending_until is None
        and (token.expires_at is None or token.expires_at > now)
        and action not in _DECISIONS
    ):
        # Generated, active or inactive, which every action but a decision may use: the
        # token check's usual case, told without working out which of the three (a test
        # holds TRANSITIONS to this: tests/integration/test_lifecycle.py).
        return None
    return TRANSITIONS[action][state_of(token, now)]


_DECISIONS = frozenset({Action.APPROVE, Action.DENY})


def then_for(refused: Refusal, *, strict: bool) -> str:
    """What follows a refusal, under a tenant's policy: `strict` turns a late use's alert
    into the revocation of the chain."""
    if refused.then == Then.ALERT and strict:
        return Then.REVOKE_CHAIN
    return refused.then


_OTHER_TENANT = Refusal(EventReason.OTHER_TENANT, INVALID_TOKEN)
_DEPROVISIONED = Refusal(EventReason.OWNER_DEPROVISIONED, DEPROVISIONED_OWNER, 403)


def address_refusal(ip: str | None) -> Refusal:
    """A use from an address the token's allow-list does not hold: a 403 naming the address
    (so that whoever runs the script sees where it called from), an alert to follow."""
    where = ip or "an address that could not be read"
    return Refusal(
        EventReason.ADDRESS_NOT_ALLOWED,
        f"This token may not be used from {where}: its allow-list does not include it.",
        403,
        Then.ALERT_ADDRESS,
    )


def request_refusal(
    token, action: str, now: datetime, *, host: tuple[str, str] | None, ip: str | None = None
) -> Refusal | None:
    """Why a request made with `token` may not act (None: it may), in the order of the
    checks: the value's state first, then the place (its owner in another tenant, or
    another tenant's address: `host` is the (slug, region) of the address called, None on
    the generic one), then the owner (deprovisioned), then the client's address `ip`
    (against its allow-list, if it has one). Costs no query: the token's row, owner and
    tenant come with the one lookup."""
    if (refused := refusal(token, action, now)) is not None:
        return refused
    if token.user.tenant_id != token.tenant_id:
        return _OTHER_TENANT
    if host is not None and (token.tenant.slug, token.tenant.region) != host:
        return _OTHER_TENANT
    if token.user.is_deprovisioned:
        return _DEPROVISIONED
    if token.allowlist and not address_allowed(token.allowlist, ip):
        return address_refusal(ip)
    return None
