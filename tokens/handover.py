"""The hand-over of a departed person's tokens to a service account, and what deprovisioning
someone would break (DECISIONS 94).

A deprovisioned person's tokens are kept and refused. A full admin may hand one (or all of
that person's) over to a service account so that the automation behind it keeps running.
The person who left knows the value, so a hand-over is a rotation: a new value, shown once
to the admin, owned by the service account; the old value works (as the service account,
within what it could do) only for the grace chosen, then is refused like any rotated-out
value (a late use alerted). The whole rotation chain moves to the service account, so that
it stays one token to the person in charge. Events name both owners."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import Capability
from core.errors import Conflict
from core.http import SYSTEM, Origin
from tokens.events import token_event
from tokens.expiry import GRACE_CHOICES
from tokens.lifecycle import ACTIVE_WINDOW, Action, refusal
from tokens.models import ApiToken, EventKind, Kind
from tokens.models.token import within
from tokens.notifications import tell_custodians_handed_over
from tokens.rotation import replace_value, rotation_expiry

# How long the old value keeps working after a hand-over: none, 1 hour, 24 hours (no week:
# the value is known to someone who left).
HANDOVER_GRACES = {value: length for value, _, length in GRACE_CHOICES if value != "7d"}
HANDOVER_GRACE_CHOICES = [(value, label) for value, label, _ in GRACE_CHOICES if value != "7d"]
DEFAULT_HANDOVER_GRACE = "1h"


class HandOverRefused(Conflict):
    """A token that cannot be handed over as it is (its owner is not a deprovisioned person,
    or the lifecycle refuses a rotation): a 409 saying why."""


def handover_refusal(token: ApiToken, now: datetime) -> str:
    """Why `token` cannot be handed over now ("" if it can)."""
    if token.kind != Kind.API:
        return (
            "Only API tokens are handed over: regenerate a SIEM agent's or a log collector's "
            "token on its own page."
        )
    owner = token.user
    if owner.is_service_account:
        return "This token already belongs to a service account."
    if not owner.is_deprovisioned:
        return (
            f"Only a deprovisioned person's token is handed over: {owner.username} is active "
            "(deprovision them first, or let them regenerate it)."
        )
    refused = refusal(token, Action.ROTATE, now)
    return refused.message if refused is not None else ""


def handover_target(*, tenant_id: int, account_id: int) -> User | None:
    """The service account a hand-over goes to: an active one of the tenant (None: none
    has that id)."""
    return (
        User.objects.service_accounts_in(tenant_id)
        .filter(pk=account_id, deprovisioned_at__isnull=True, is_active=True)
        .first()
    )


def token_hand_over(
    *,
    token: ApiToken,
    to: User,
    by,
    grace: str = DEFAULT_HANDOVER_GRACE,
    origin: Origin = SYSTEM,
) -> tuple[ApiToken, str]:
    """Hands a deprovisioned person's token over to the service account `to`: a new value
    (returned, to be shown once to `by`, a full admin), with the same name, description,
    scopes, allow-list and lifetime, owned by `to` and within what the token could do (a
    hand-over widens nothing); the whole chain moves to `to`; the old value works for
    `grace` (none, 1h, 24h), then is refused. PermissionDenied unless `by` is a full admin
    of the tenant; ValidationError for a grace not offered or a target that is not an active
    service account of the tenant; HandOverRefused where the token cannot be handed over.
    Under the chain's row lock, as a rotation."""
    if by.tenant_id != token.tenant_id or Capability.TOKENS_MANAGE_ALL not in by.capabilities:
        raise PermissionDenied("Only a full admin of the tenant hands tokens over.")
    if grace not in HANDOVER_GRACES:
        raise ValidationError(
            {"grace": [f"Choose how long the old value works: {', '.join(HANDOVER_GRACES)}."]}
        )
    if to.tenant_id != token.tenant_id or not to.is_service_account or to.is_deprovisioned:
        raise ValidationError(
            {"service_account": ["Choose an active service account of this tenant."]}
        )
    now = timezone.now()
    with transaction.atomic():
        chain = ApiToken.objects.lock_chain(token)
        current = next((member for member in chain if member.pk == token.pk), None)
        if current is None:
            raise HandOverRefused("That token does not exist.")
        if why := handover_refusal(current, now):
            raise HandOverRefused(why)
        before = current.user
        # Everything of the chain is the service account's from now on (its old values, in
        # their grace or past it, are refused or alerted as theirs).
        ApiToken.objects.filter(pk__in=[member.pk for member in chain]).update(user=to)
        current.user = token.user = to
        new, value, until = replace_value(
            current,
            token,
            by=by,
            origin=origin,
            now=now,
            grace=HANDOVER_GRACES[grace],
            expires_at=rotation_expiry(current, now),
            owner=to,
            granted=sorted(within(to.capabilities, current.scopes, current.granted_capabilities)),
            said=f"Generated for the service account {to.username} by handing over "
            f"{before.username}'s token.",
        )
        old = (
            f"the old value works until {until:%Y-%m-%d %H:%M} UTC, then is refused"
            if until > now
            else "the old value stopped at once"
        )
        token_event(
            token=current,
            kind=EventKind.HANDED_OVER,
            by=by,
            origin=origin,
            detail=f"Handed over from {before.username} (deprovisioned) to the service account "
            f"{to.username}: {old}.",
            at=now,
        )
        tell_custodians_handed_over(new, before, by, until)
    return new, value


def handover_candidates(person: User):
    """The tokens of `person` a hand-over would move: their current API tokens (not revoked,
    not rotated out), oldest first. A SIEM agent's or log collector's token is regenerated
    on its own page, where the agent it belongs to is kept in step."""
    return (
        ApiToken.objects.for_tenant(person.tenant_id)
        .filter(user=person, kind=Kind.API)
        .current()
        .select_related("user", "tenant")
        .order_by("created_at", "pk")
    )


def tokens_used_lately(person: User, now: datetime | None = None) -> list[ApiToken]:
    """`person`'s live tokens used in the last 7 days (what stops when they are
    deprovisioned), most recently used first."""
    since = (now or timezone.now()) - ACTIVE_WINDOW
    return list(
        ApiToken.objects.for_tenant(person.tenant_id)
        .filter(user=person, last_used_at__gte=since)
        .live()
        .order_by("-last_used_at", "pk")[:200]
    )


def deprovision_impact(person: User) -> dict:
    """The users API's account of what deprovisioning `person` breaks (accounts/impact.py)."""
    return {
        "tokens_used_last_7_days": [
            {
                "id": token.pk,
                "name": token.name,
                "suffix": token.suffix,
                "last_used": token.last_used_at,
                "last_used_ip": token.last_used_ip,
            }
            for token in tokens_used_lately(person)
        ]
    }
