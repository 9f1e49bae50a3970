"""Regenerating a token (rotation): a new value with the same name, scopes and owner, the old
one working for a grace period, both in one chain under its row lock."""

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.service_accounts import acts_for
from core.errors import Conflict
from core.http import SYSTEM, Origin
from tokens import lifecycle
from tokens.events import token_event
from tokens.expiry import DEFAULT_GRACE, GRACE_PERIODS, token_check_expiry
from tokens.lifecycle import Action, EventReason
from tokens.models import ApiToken, EventKind, Kind, TokenPolicy
from tokens.policy import policy_check_expiry, policy_default_expiry, policy_of
from tokens.services import token_generate, token_revoke


class RotationRefused(Conflict):
    """A token that cannot be rotated in its state (tokens/lifecycle.py: revoked, or already
    rotated out): the message says why; a 409 on the API."""


def rotation_refusal(token: ApiToken, now: datetime) -> str:
    """Why the token cannot be regenerated ("" if it can): the lifecycle's answer."""
    refused = lifecycle.refusal(token, Action.ROTATE, now)
    return refused.message if refused is not None else ""


class NotTheOwner(PermissionDenied):
    """Only a token's owner regenerates it: the new value acts as its owner, so an admin
    who could mint one for someone else could act in their name. Admins revoke instead."""


def regenerate_refusal(token: ApiToken, by) -> str:
    """Why `by` (a user) may not regenerate `token` ("" if they may): only its owner, or,
    for a service account's token, its custodians and full admins; a custodian only a token
    that does no more than they may do themselves (a new value is a new grant of it)."""
    held = by.capabilities
    if not acts_for(by, token.user, held):
        return (
            "Only its owner can regenerate a token: the new value would act in their name. "
            "You may revoke it."
        )
    if token.user_id != by.pk:
        beyond = sorted(set(token.granted_capabilities or ()) - {c.value for c in held})
        if beyond:
            return (
                f"This token can use {', '.join(beyond)}, which you may not yourself: a full "
                "admin regenerates it. You may revoke it."
            )
    return ""


def refuse_unless_owner(token: ApiToken, by) -> None:
    """NotTheOwner where `by` (a user; None: the system) may not regenerate the token
    (regenerate_refusal says why)."""
    if by is not None and (why := regenerate_refusal(token, by)):
        raise NotTheOwner(why)


class _Keep:
    """token_rotate's default expiry: the same lifetime as the token it replaces."""

    def __repr__(self) -> str:
        return "KEEP_LIFETIME"


KEEP_LIFETIME: Any = _Keep()


def kept_lifetime(token: ApiToken, now: datetime) -> datetime | None:
    """The expiry of a token made `now` that lives as long as `token` did (never: None)."""
    if token.expires_at is None:
        return None
    return now.replace(microsecond=0) + (token.expires_at - token.created_at)


def lifetime_label(token: ApiToken) -> str:
    """How long `token` was made to live, as people say it: "90 days", "1 year", "never"."""
    if token.expires_at is None:
        return "never"
    lifetime = token.expires_at - token.created_at
    days = round(lifetime / timedelta(days=1))
    about = "" if lifetime == timedelta(days=days) else "about "
    if days in (365, 366):
        return f"{about}1 year"
    return f"{about}{days} day{'s' if days != 1 else ''}"


def rotation_expiry(
    token: ApiToken, now: datetime, policy: TokenPolicy | None = None
) -> datetime | None:
    """The expiry a regenerated token gets unless its owner chooses one: the lifetime of the
    token it replaces (never stays never), if the tenant's policy allows it for a new
    token; the policy's default otherwise. `policy`: the tenant's, if the caller has it."""
    policy = policy or policy_of(token.tenant_id)
    now = now.replace(microsecond=0)
    keep = kept_lifetime(token, now)
    try:
        token_check_expiry(keep, now=now)
        policy_check_expiry(policy, keep, now=now)
    except ValidationError:
        return policy_default_expiry(policy, now)
    return keep


def replace_value(
    current: ApiToken,
    token: ApiToken,
    *,
    by,
    origin: Origin,
    now: datetime,
    grace: timedelta,
    expires_at: datetime | None,
    owner=None,
    granted: list[str] | None = None,
    said: str = "",
) -> tuple[ApiToken, str, datetime]:
    """The step a rotation and a hand-over share, inside their transaction and under the
    chain's lock (`current`: the token's row as locked; `token`: the caller's copy, kept in
    step): a new value in the same chain, with the same name, kind, scopes, description and
    allow-list (owned by `owner`, by default the same; granted `granted`, by default the
    same), and the old value working for `grace` from `now` (none if it had expired).
    Returns the new token, its value, and until when the old one works."""
    chain = current.chain_id or current.pk
    new, value = token_generate(
        user=owner or current.user,
        name=current.name,
        kind=current.kind,
        scopes=current.scopes,
        expires_at=expires_at,
        by=by,
        origin=origin,
        chain_id=chain,
        description=current.description,
        allowed_ips=current.allowed_ips,
        granted=current.granted_capabilities if granted is None else granted,
        said=said,
    )
    until = now if current.is_expired(now) else now + grace
    ApiToken.objects.filter(pk=current.pk).update(
        chain_id=chain, replaced_at=now, grace_until=until
    )
    for copy in (current, token):
        copy.replaced_at, copy.grace_until, copy.chain_id = now, until, chain
    return new, value, until


def token_rotate(
    *,
    token: ApiToken,
    by,
    grace: str = DEFAULT_GRACE,
    expires_at: datetime | None = KEEP_LIFETIME,
    origin: Origin = SYSTEM,
) -> tuple[ApiToken, str]:
    """Regenerates an API token: a new value with the same name, scopes, owner and kind,
    shown once, expiring at `expires_at` (None: never; by default the same lifetime as
    before, rotation_expiry), checked against the tenant's policy as a new token's. The old
    value keeps working for the grace period chosen and is refused after it; an expired
    token is regenerated too, its old value staying refused. Raises RotationRefused where
    the lifecycle refuses (revoked, already rotated), ValidationError for a grace period
    not offered or an expiry not allowed, NotTheOwner when `by` is someone else. Both
    tokens join one chain (chain_id), under its row lock: a revocation at the same moment
    comes first (and this is refused) or after (and revokes the new value too)."""
    refuse_unless_owner(token, by)
    if grace not in GRACE_PERIODS:
        raise ValidationError(
            {"grace": [f"Choose a grace period among {', '.join(GRACE_PERIODS)}."]}
        )
    now = timezone.now()
    with transaction.atomic():
        current = next((m for m in ApiToken.objects.lock_chain(token) if m.pk == token.pk), None)
        if current is None:
            raise RotationRefused("That token does not exist.")
        if why := rotation_refusal(current, now):
            raise RotationRefused(why)
        if expires_at is KEEP_LIFETIME:
            expires_at = rotation_expiry(current, now)
        # An expired value stays refused: a rotation gives it no grace.
        new, value, until = replace_value(
            current,
            token,
            by=by,
            origin=origin,
            now=now,
            grace=GRACE_PERIODS[grace],
            expires_at=expires_at,
        )
        detail = (
            f"Rotated: the old value works until {until:%Y-%m-%d %H:%M} UTC."
            if until > now
            else "Rotated: the old value stopped at once."
        )
        token_event(
            token=current, kind=EventKind.ROTATED, by=by, origin=origin, detail=detail, at=now
        )
    return new, value


@transaction.atomic
def scim_token_rotate(*, user, origin: Origin = SYSTEM) -> tuple[ApiToken, str]:
    """A new SCIM secret token for the user's tenant (what Entra's provisioning service is
    given). A tenant has one: any earlier SCIM token stops working at once."""
    for token in ApiToken.objects.for_tenant(user.tenant_id).live().filter(kind=Kind.SCIM):
        token_revoke(token=token, by=user, reason=EventReason.REPLACED, origin=origin)
    return token_generate(user=user, name="SCIM provisioning", kind=Kind.SCIM, origin=origin)
