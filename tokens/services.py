"""Every change to tokens goes through here: the page, the API, the admin, the
authentication path (last used, at most once a minute) and management commands call these."""

from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.roles import SCOPES
from core.errors import Conflict
from core.http import SYSTEM, Origin
from tokens import keys, lifecycle
from tokens.events import token_event
from tokens.expiry import DEFAULT_GRACE, GRACE_PERIODS, token_check_expiry
from tokens.lifecycle import Action, Refusal, Then, then_for
from tokens.models import (
    ApiToken,
    EventKind,
    EventReason,
    Kind,
    TokenEvent,
    TokenPolicy,
    validate_token_description,
    validate_token_name,
)
from tokens.notifications import tell_owner_exposed
from tokens.policy import policy_check_expiry, policy_default_expiry, policy_of
from tokens.signals import token_exposed, token_reused, token_used_late
from tokens.usage import Fold


def token_check_new(*, user, name: str) -> str:
    """The checks a new token must pass, for forms that show them before anything is written;
    returns the name as it will be stored."""
    if user.tenant_id is None:
        raise ValidationError("Only users of a tenant can generate tokens.", code="no_tenant")
    if user.is_deprovisioned:
        raise ValidationError("Deprovisioned users cannot generate tokens.", code="deprovisioned")
    return token_check_name(name)


def token_check_name(name: str) -> str:
    """A token name as it will be stored (trimmed), or a ValidationError on `name`."""
    name = (name or "").strip()
    try:
        validate_token_name(name)  # before full_clean, so the message is ours, not the field's
    except ValidationError as error:
        raise ValidationError({"name": error.error_list}) from None
    return name


def token_check_description(description: str) -> str:
    """A token's description as it will be stored (trimmed; may be blank), or a
    ValidationError on `description`."""
    description = (description or "").strip()
    try:
        validate_token_description(description)
    except ValidationError as error:
        raise ValidationError({"description": error.error_list}) from None
    return description


class AlreadySubmitted(Exception):
    """The form that asked for this token was submitted before, and made `token` then (its
    value went to that first answer only). Nothing more was written."""

    def __init__(self, token: ApiToken) -> None:
        super().__init__(f"Already submitted: it made the token {token.name!r}")
        self.token = token


REFUSAL_WINDOW = 60  # seconds: at most one refused-use event per token in this long
LATE_USE_ALERT_WINDOW = 3600  # seconds: at most one late-use alert per token in this long

REFUSAL_DETAILS: dict[str, str] = {
    EventReason.REVOKED: "Refused: the token is revoked.",
    EventReason.OWNER_DEPROVISIONED: "Refused: its owner is deprovisioned.",
    EventReason.OTHER_TENANT: "Refused: used on another tenant's address.",
    EventReason.EXPIRED: "Refused: the token has expired.",
    EventReason.ROTATED_OUT: "Refused: a rotated-out value, used after its grace period; its "
    "successor still works.",
    EventReason.REUSED: "Refused: a rotated-out value, used to mint a new one; its rotation "
    "chain is revoked.",
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
    elif then == Then.ALERT and cache.add(
        f"token-late-use:{token.pk}:alert", 1, timeout=LATE_USE_ALERT_WINDOW
    ):
        at = timezone.now()
        transaction.on_commit(
            lambda: token_used_late.send(
                sender=ApiToken, token=token, at=at, ip=origin.ip, user_agent=origin.user_agent
            )
        )
    return event


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


@transaction.atomic
def token_generate(
    *,
    user,
    name: str,
    kind: str = Kind.API,
    submission_key: str = "",
    created_at: datetime | None = None,
    expires_at: datetime | None = None,
    scopes: list[str] | None = None,
    by=None,
    origin: Origin = SYSTEM,
    chain_id: int | None = None,
    description: str = "",
) -> tuple[ApiToken, str]:
    """Creates a token for `user` and returns it with its value. The value exists only in
    this return value: the caller shows it once and forgets it. With a `submission_key`
    (a form's one-time key) a second request with the same key makes nothing and raises
    AlreadySubmitted, however close together the two arrive. `created_at` is now unless
    given (the demo data's tokens are weeks old); `expires_at` None is never (checked by
    token_check_expiry). The log gets a `generated` event: by `by` (an admin generating for
    `user`) or `user`, from `origin`. With a `chain_id` it is a rotation's new token."""
    name = token_check_new(user=user, name=name)
    description = token_check_description(description)
    created_at = created_at or timezone.now()
    expires_at = token_check_expiry(expires_at, now=created_at)
    if kind == Kind.API:
        policy_check_expiry(policy_of(user.tenant_id), expires_at, now=created_at)
    # A rotation keeps the scopes as they were, even ones the role has lost since: at each
    # request they are capped by the role as it is then (DECISIONS 65).
    rotating = chain_id is not None
    scopes = scopes if rotating else token_check_scopes(user, scopes)
    refuse_if_submitted(user=user, submission_key=submission_key)
    value = keys.generate(kind)
    token = ApiToken(
        tenant_id=user.tenant_id,
        user=user,
        kind=kind,
        name=name,
        digest=keys.digest(value),
        suffix=keys.suffix(value),
        submission_key=submission_key,
        created_at=created_at,
        expires_at=expires_at,
        scopes=scopes,
        chain_id=chain_id,
        description=description,
        created_by=by if by is not None and by.pk != user.pk else None,
    )
    token.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            token.save()
    except IntegrityError:
        # The same key, an instant earlier: the unique constraint decides the race.
        if submission_key and (earlier := _submitted(user, submission_key)) is not None:
            raise AlreadySubmitted(earlier) from None
        raise
    actor = by or user
    detail = f"Generated for {user.username}." if actor.pk != user.pk else "Generated."
    if scopes is not None:
        detail = detail[:-1] + f", narrowed to {', '.join(scopes) or 'nothing'}."
    if rotating:
        detail = detail[:-1] + ", by rotating the token of the same name."
    token_event(
        token=token,
        kind=EventKind.GENERATED,
        by=actor,
        origin=origin,
        detail=detail,
        at=token.created_at,
    )
    return token, value


def token_check_scopes(user, scopes) -> list[str] | None:
    """The scopes a new token of `user` may have: None (the same as the role), or a list of
    known scopes (accounts.roles.SCOPES) that the role has, sorted and without repeats.
    Raises ValidationError (on `scopes`) naming an unknown one or one the role lacks."""
    if scopes is None:
        return None
    if not scopes:
        raise ValidationError(
            {"scopes": ["Choose at least one capability, or keep the same as your role."]}
        )
    known = {scope.value for scope in SCOPES}
    unknown = [scope for scope in scopes if scope not in known]
    if unknown:
        raise ValidationError(
            {
                "scopes": [
                    f"Unknown capability: {unknown[0]!r}. Choose among {', '.join(sorted(known))}."
                ]
            }
        )
    lacking = sorted(set(scopes) - {c.value for c in user.capabilities})
    if lacking:
        raise ValidationError(
            {"scopes": [f"Your role ({user.role_label}) does not have {', '.join(lacking)}."]}
        )
    return sorted(set(scopes))


LAST_USED_PRECISION = timedelta(seconds=60)


def token_mark_used(
    *, token: ApiToken, at: datetime | None = None, origin: Origin = SYSTEM
) -> None:
    """Records that `token` was used `at` (now) from `origin`: at most one write a minute per
    token, and none when the time it carries is recent enough, so a request costs no write
    then. The request that writes also folds the usage counted in the cache since the last
    time (tokens/usage.py); a first use is also an event (once: the update that sets the
    first time decides)."""
    now = at or timezone.now()
    stale_before = now - LAST_USED_PRECISION
    if token.last_used_at is not None and token.last_used_at >= stale_before:
        return
    first = token.last_used_at is None
    fold = Fold(token, origin, now)
    # Conditional, so that concurrent requests on several servers write once between them.
    unused = Q(last_used_at__isnull=True) if first else Q(last_used_at__lt=stale_before)
    updated = ApiToken.objects.filter(unused, pk=token.pk).update(last_used_at=now, **fold.columns)
    token.last_used_at = now
    if not updated:
        return  # another request, an instant earlier, wrote and folded
    fold.commit()
    if first:
        token_event(
            token=token, kind=EventKind.FIRST_USED, origin=origin, at=now, detail="First used."
        )


def refuse_if_submitted(*, user, submission_key: str) -> None:
    """Raises AlreadySubmitted if a form with this one-time key already made a token (for
    callers that must say so before any other check, as adding a SIEM agent does)."""
    if submission_key and (earlier := _submitted(user, submission_key)) is not None:
        raise AlreadySubmitted(earlier)


def _submitted(user, submission_key: str) -> ApiToken | None:
    return ApiToken.objects.filter(user=user, submission_key=submission_key).first()


@transaction.atomic
def token_rename(*, token: ApiToken, name: str) -> ApiToken:
    """A new display name; the value, owner and kind never change."""
    token.name = token_check_name(name)
    ApiToken.objects.filter(pk=token.pk).update(name=token.name)
    return token


def token_revoke(
    *,
    token: ApiToken,
    by,
    reason: str = "",
    origin: Origin = SYSTEM,
    public: bool = False,
    detail: str = "",
    system: str = "System",
) -> bool:
    """Revokes a token at once, and with it every live value of its rotation chain: to the
    person in charge a rotated token is one token, and whoever revokes any value of it
    means all of it. The next request made with any of them is refused. The rows stay, with
    who revoked them, when and why (`revoked_reason`), and the log gets a `revoked` event
    per value with the reason (by its owner or by an admin unless the caller says
    otherwise). Under the chain's row lock, so that a rotation at the same moment either
    comes first (and its new value is revoked too) or finds the chain revoked. Returns
    False if nothing was live (and writes nothing): of two revocations at once, one wins."""
    return bool(
        _revoke_chain(
            token=token,
            by=by,
            reason=reason,
            origin=origin,
            public=public,
            detail=detail,
            system=system,
        )
    )


@transaction.atomic
def _revoke_chain(
    *, token: ApiToken, by, reason: str, origin: Origin, public: bool, detail: str, system: str
) -> list[ApiToken]:
    now = timezone.now()
    user = by if getattr(by, "pk", None) is not None else None
    if not reason:
        reason = EventReason.BY_OWNER if user and user.pk == token.user_id else EventReason.BY_ADMIN
    note = detail or f"Revoked: {EventReason(reason).label.lower()}."
    revoked = []
    for member in ApiToken.objects.lock_chain(token):
        # Conditional: a value revoked a moment ago (on SQLite, which takes no row lock,
        # by a transaction that committed first) is left as it is.
        if not ApiToken.objects.filter(pk=member.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=user, revoked_reason=reason
        ):
            continue
        member.revoked_at, member.revoked_by, member.revoked_reason = now, user, reason
        said = note
        if member.pk != token.pk:
            said = f"{note[:-1]}, with the value …{token.suffix} of its rotation chain."
        token_event(
            token=member,
            kind=EventKind.REVOKED,
            by=user,
            origin=origin,
            reason=reason,
            detail=said,
            public=public,
            at=now,
            system=system,
        )
        revoked.append(member)
    if any(member.pk == token.pk for member in revoked):
        token.revoked_at, token.revoked_by, token.revoked_reason = now, user, reason
    return revoked


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


def refuse_unless_owner(token: ApiToken, by) -> None:
    """NotTheOwner unless `by` (a user; None: the system) owns the token."""
    if by is not None and by.pk != token.user_id:
        raise NotTheOwner(
            "Only its owner can regenerate a token: the new value would act in their name. "
            "You may revoke it."
        )


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
        chain = current.chain_id or current.pk
        new, value = token_generate(
            user=current.user,
            name=current.name,
            kind=current.kind,
            scopes=current.scopes,
            expires_at=expires_at,
            by=by,
            origin=origin,
            chain_id=chain,
            description=current.description,
        )
        # An expired value stays refused: a rotation gives it no grace.
        until = now if current.is_expired(now) else now + GRACE_PERIODS[grace]
        ApiToken.objects.filter(pk=current.pk).update(
            chain_id=chain, replaced_at=now, grace_until=until
        )
        for copy in (current, token):
            copy.replaced_at, copy.grace_until, copy.chain_id = now, until, chain
        detail = (
            f"Rotated: the old value works until {until:%Y-%m-%d %H:%M} UTC."
            if until > now
            else "Rotated: the old value stopped at once."
        )
        token_event(
            token=current, kind=EventKind.ROTATED, by=by, origin=origin, detail=detail, at=now
        )
    return new, value


def token_theft_detected(*, token: ApiToken, origin: Origin, how: str) -> int:
    """A rotated-out value was used to mint a new one (or, under a strict policy, used after
    its grace period): a sign that someone else holds it. Every value of its rotation chain
    is revoked (reason "reused"), and its tenant gets a high-severity alert
    (tokens.signals.token_reused), once: a second detection that finds the chain revoked
    raises none. Returns how many were revoked."""
    now = timezone.now()
    with transaction.atomic():
        revoked = len(
            _revoke_chain(
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


@transaction.atomic
def scim_token_rotate(*, user, origin: Origin = SYSTEM) -> tuple[ApiToken, str]:
    """A new SCIM secret token for the user's tenant (what Entra's provisioning service is
    given). A tenant has one: any earlier SCIM token stops working at once."""
    for token in ApiToken.objects.for_tenant(user.tenant_id).live().filter(kind=Kind.SCIM):
        token_revoke(token=token, by=user, reason=EventReason.REPLACED, origin=origin)
    return token_generate(user=user, name="SCIM provisioning", kind=Kind.SCIM, origin=origin)


MAX_REPORTED = 1000  # values in one public report


@transaction.atomic
def credentials_revoke(*, values: list[str], origin: Origin) -> int:
    """A public report of leaked credentials (POST /api/v1/credentials/revoke/): every value
    that is a live token of any tenant, of any kind, is revoked at once ("exposed publicly",
    by a public report), its owner told by e-mail after commit, and its tenant's alerts get
    one (through tokens.signals.token_exposed). Values that are no token cost a checksum and
    nothing else; one query finds the rest. Returns how many were revoked, for the caller's
    logs only: the reporter is never told."""
    digests = {keys.digest(value) for value in values[:MAX_REPORTED] if keys.kind_of(value)}
    if not digests:
        return 0
    found = (
        ApiToken.objects.filter(digest__in=digests, revoked_at__isnull=True)
        .select_related("user", "tenant")
        .order_by("pk")
    )
    revoked = 0
    for token in found:
        if token_revoke(
            token=token, by=None, reason=EventReason.EXPOSED, origin=origin, public=True
        ):
            revoked += 1
            tell_owner_exposed(token)
            token_exposed.send(sender=ApiToken, token=token, at=token.revoked_at)
    return revoked
