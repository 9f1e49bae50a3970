"""Every change to tokens goes through here: the page, the API, the admin, the
authentication path (last used, at most once a minute) and management commands call these."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.service_accounts import custody_ids
from core.http import SYSTEM, Origin
from tokens import keys
from tokens.access import for_service_account, granted_for, token_check_scopes
from tokens.allowlist import allowlist_check, allowlist_text
from tokens.events import token_event
from tokens.expiry import token_check_expiry
from tokens.lifecycle import EventReason
from tokens.models import ApiToken, EventKind, Kind, validate_token_description, validate_token_name
from tokens.notifications import tell_approval_requested
from tokens.policy import (
    policy_check_allowlist,
    policy_check_expiry,
    policy_needs_approval,
    policy_of,
)
from tokens.usage import Fold

APPROVAL_WINDOW = timedelta(days=7)  # an approval request not decided by then expires


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
    allowed_ips: list[str] | None = None,
    granted: list[str] | None = None,
    said: str = "",
) -> tuple[ApiToken, str]:
    """Creates a token for `user` and returns it with its value. The value exists only in
    this return value: the caller shows it once and forgets it. With a `submission_key`
    (a form's one-time key) a second request with the same key makes nothing and raises
    AlreadySubmitted, however close together the two arrive. `created_at` is now unless
    given (the demo data's tokens are weeks old); `expires_at` None is never (checked by
    token_check_expiry). `allowed_ips` (tokens/allowlist.py) limits where it may be used
    from; None: anywhere (unless the tenant's policy requires a list of a token that can
    change data). It records what it may do now (`granted_capabilities`), which it never
    exceeds. The log gets a `generated` event: by `by` (an admin generating for `user`, or a
    custodian for a service account) or `user`, from `origin`. With a `chain_id` it is a
    rotation's new token, which keeps the old one's `granted` capabilities (`said` words its
    event). Under a tenant's policy that requires approval, a new API token is made pending
    (tokens/approval.py) and its requester and the full admins are told."""
    name = token_check_new(user=user, name=name)
    description = token_check_description(description)
    created_at = created_at or timezone.now()
    expires_at = token_check_expiry(expires_at, now=created_at)
    allowed_ips = allowlist_check(allowed_ips)
    # A rotation keeps the scopes as they were, even ones the role has lost since: at each
    # request they are capped by the role as it is then (DECISIONS 65).
    rotating = chain_id is not None
    # A custodian gives a service account's token no more than they may do themselves
    # (DECISIONS 93): what it is granted now is all it will ever do.
    limit = for_service_account(user, by)
    scopes = scopes if rotating else token_check_scopes(user, scopes, limit=limit)
    if granted is None:
        granted = granted_for(user, scopes, limit)
    pending_until = _policy_check(
        user, kind, expires_at, created_at, granted, allowed_ips, rotating=rotating
    )
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
        allowlist=" ".join(allowed_ips or ()),
        granted_capabilities=granted,
        pending_until=pending_until,
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
    token_event(
        token=token,
        kind=EventKind.GENERATED,
        by=actor,
        origin=origin,
        detail=_generated(token, actor, said),
        at=token.created_at,
    )
    if pending_until is not None:
        tell_approval_requested(token)
    return token, value


def _policy_check(
    user, kind, expires_at, created_at, granted, allowed_ips, *, rotating: bool
) -> datetime | None:
    """The tenant's policy on a new API token (ValidationError where it refuses it), and
    until when it waits for approval if the policy requires that (None: it does not)."""
    if kind != Kind.API:
        return None
    policy = policy_of(user.tenant_id)
    policy_check_expiry(policy, expires_at, now=created_at)
    if rotating:  # a rotation keeps what the token was (a leaked one must rotate)
        return None
    policy_check_allowlist(policy, granted, allowed_ips)
    return created_at + APPROVAL_WINDOW if policy_needs_approval(policy, granted) else None


def _generated(token: ApiToken, actor, said: str) -> str:
    """The `generated` event's words: for whom, narrowed to what, usable from where."""
    if said:
        return said
    detail = f"Generated for {token.user.username}." if actor.pk != token.user_id else "Generated."
    if token.scopes is not None:
        detail = detail[:-1] + f", narrowed to {', '.join(token.scopes) or 'nothing'}."
    if token.allowed_ips is not None:
        detail = detail[:-1] + f", usable from {allowlist_text(token.allowed_ips)}."
    if token.chain_id is not None:
        detail = detail[:-1] + ", by rotating the token of the same name."
    if token.pending_until is not None:
        detail = detail[:-1] + (
            f", pending approval until {token.pending_until:%Y-%m-%d %H:%M} UTC."
        )
    return detail


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
        revoke_chain(
            token=token,
            by=by,
            reason=reason,
            origin=origin,
            public=public,
            detail=detail,
            system=system,
        )
    )


def revoked_by_whom(token: ApiToken, user) -> str:
    """The reason a person revoking `token` gives by being who they are: its owner, a
    custodian of its service account, or an admin."""
    if user is not None and user.pk == token.user_id:
        return EventReason.BY_OWNER
    if user is not None and token.user.is_service_account and token.user_id in custody_ids(user):
        return EventReason.BY_CUSTODIAN
    return EventReason.BY_ADMIN


@transaction.atomic
def revoke_chain(
    *, token: ApiToken, by, reason: str, origin: Origin, public: bool, detail: str, system: str
) -> list[ApiToken]:
    now = timezone.now()
    user = by if getattr(by, "pk", None) is not None else None
    if not reason:
        reason = revoked_by_whom(token, user)
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
