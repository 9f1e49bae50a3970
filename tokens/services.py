"""Every change to tokens goes through here: the page, the API, the admin, the
authentication path (last used, at most once a minute) and management commands call these."""

from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.roles import SCOPES
from core.errors import Conflict
from core.http import SYSTEM, Origin
from tokens import keys
from tokens.models import (
    POLICY_EXPIRY_CHOICES,
    ActorKind,
    ApiToken,
    EventKind,
    EventReason,
    Kind,
    TokenEvent,
    TokenPolicy,
    validate_token_name,
)
from tokens.notifications import tell_owner_exposed
from tokens.signals import token_exposed, token_reused
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


class AlreadySubmitted(Exception):
    """The form that asked for this token was submitted before, and made `token` then (its
    value went to that first answer only). Nothing more was written."""

    def __init__(self, token: ApiToken) -> None:
        super().__init__(f"Already submitted: it made the token {token.name!r}")
        self.token = token


# --- the event log -------------------------------------------------------------------------------


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
        tenant_id=token.tenant_id, token=token, owner_id=token.user_id, token_name=token.name,
        token_kind=token.kind, token_suffix=token.suffix, kind=kind, reason=reason,
        actor=by if actor_kind == ActorKind.USER else None, actor_kind=actor_kind,
        label=label, origin=origin, detail=detail, count=count, created=at or timezone.now(),
    )  # fmt: skip


def policy_event(*, tenant_id: int, by, origin: Origin, detail: str) -> TokenEvent:
    """Appends a change of the tenant's token policy to the log (an event of no token)."""
    return _append(
        tenant_id=tenant_id, token=None, owner=None, kind=EventKind.POLICY_CHANGED, actor=by,
        actor_kind=ActorKind.USER, label=by.username, origin=origin, detail=detail,
    )  # fmt: skip


def _append(*, label: str, origin: Origin, detail: str, **fields) -> TokenEvent:
    """The one writer of the log: what comes from outside is cut to its column's length."""
    return TokenEvent.objects.create(
        actor_label=label[:200], source_ip=origin.ip, user_agent=origin.user_agent[:300],
        detail=detail[:300], **fields,
    )  # fmt: skip


REFUSAL_WINDOW = 60  # seconds: at most one refused-use event per token in this long


def token_refused(*, token: ApiToken, reason: str, origin: Origin) -> TokenEvent | None:
    """A request with `token` was refused. The first refusal of a minute is written as an
    event carrying how many refusals it stands for (those counted in the shared cache since
    the last event, itself included); the rest of the minute only count, so a client
    hammering with a revoked token cannot flood the log. Returns the event, if one was
    written."""
    pending, gate = f"token-refused:{token.pk}:count", f"token-refused:{token.pk}:gate"
    cache.add(pending, 0, timeout=None)
    try:
        count = cache.incr(pending)
    except ValueError:  # the key expired between add and incr
        count = 1
    if not cache.add(gate, 1, timeout=REFUSAL_WINDOW):
        return None
    cache.delete(pending)
    details: dict[str, str] = {
        EventReason.REVOKED: "Refused: the token is revoked.",
        EventReason.OWNER_DEPROVISIONED: "Refused: its owner is deprovisioned.",
        EventReason.OTHER_TENANT: "Refused: used on another tenant's address.",
        EventReason.EXPIRED: "Refused: the token has expired.",
        EventReason.REUSED: "Refused: a rotated-out value, used after its grace period; its "
        "rotation chain is revoked.",
    }
    detail = details.get(reason, "Refused.")
    if count > 1:
        detail += f" {count} requests since the last such event."
    return token_event(
        token=token, kind=EventKind.REFUSED, origin=origin, reason=reason, detail=detail,
        count=count,
    )  # fmt: skip


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
) -> tuple[ApiToken, str]:
    """Creates a token for `user` and returns it with its value. The value exists only in
    this return value: the caller shows it once and forgets it. With a `submission_key`
    (a form's one-time key) a second request with the same key makes nothing and raises
    AlreadySubmitted, however close together the two arrive. `created_at` is now unless
    given (the demo data's tokens are weeks old); `expires_at` None is never (checked by
    token_check_expiry). The log gets a `generated` event: by `by` (an admin generating for
    `user`) or `user`, from `origin`. With a `chain_id` it is a rotation's new token."""
    name = token_check_new(user=user, name=name)
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
    token_event(token=token, kind=EventKind.GENERATED, by=actor, origin=origin, detail=detail,
                at=token.created_at)  # fmt: skip
    return token, value


# What a token's expiry may be, as the generation dialog offers it: days from now, or never.
EXPIRY_DAYS = {"7": 7, "30": 30, "90": 90, "365": 365}
DEFAULT_EXPIRY = "90"
EXPIRY_CHOICES = [
    ("7", "7 days"),
    ("30", "30 days"),
    ("90", "90 days"),
    ("365", "1 year"),
    ("date", "On a date…"),
    ("never", "Never"),
]

MAX_EXPIRY_DAYS = 3650  # ten years: the furthest date the API and the dialog take


def expiry_in_days(days: int, now: datetime | None = None) -> datetime:
    """The moment `days` days from now (to the second)."""
    return (now or timezone.now()).replace(microsecond=0) + timedelta(days=days)


def expiry_on(day) -> datetime:
    """A token that expires "on" a date works through that day (UTC): it is refused from
    the next day's midnight."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


def expiry_of(choice: str, on=None) -> datetime | None:
    """The moment an expiry choice of the forms means: "date" through the day `on`,
    "never" None, otherwise that many days (EXPIRY_DAYS) from now."""
    if choice == "date":
        return expiry_on(on)
    if choice == "never":
        return None
    return expiry_in_days(EXPIRY_DAYS[choice])


def token_check_expiry(expires_at: datetime | None, *, now: datetime) -> datetime | None:
    """The expiry a new token may have: None (never), or a moment after now and at most
    MAX_EXPIRY_DAYS away. Raises ValidationError (on `expires_at`) saying what is wrong."""
    if expires_at is None:
        return None
    problem = None
    if timezone.is_naive(expires_at):  # the API reads a time without a zone as UTC
        problem = "Give the expiry with its time zone (ISO 8601, e.g. 2027-01-31T00:00:00Z)."
    elif expires_at <= now:
        problem = "The expiry must be in the future."
    elif expires_at > now + timedelta(days=MAX_EXPIRY_DAYS):
        problem = f"The expiry can be at most {MAX_EXPIRY_DAYS} days away."
    if problem:
        raise ValidationError({"expires_at": [problem]})
    return expires_at


def token_check_scopes(user, scopes) -> list[str] | None:
    """The scopes a new token of `user` may have: None (the same as the role), or a list of
    known scopes (accounts.roles.SCOPES) that the role has, sorted and without repeats.
    Raises ValidationError (on `scopes`) naming an unknown one or one the role lacks."""
    if scopes is None:
        return None
    if not scopes:
        raise ValidationError({"scopes": [
            "Choose at least one capability, or keep the same as your role."
        ]})  # fmt: skip
    known = {scope.value for scope in SCOPES}
    unknown = [scope for scope in scopes if scope not in known]
    if unknown:
        raise ValidationError({"scopes": [
            f"Unknown capability: {unknown[0]!r}. Choose among {', '.join(sorted(known))}."
        ]})  # fmt: skip
    lacking = sorted(set(scopes) - {c.value for c in user.capabilities})
    if lacking:
        raise ValidationError({"scopes": [
            f"Your role ({user.role_label}) does not have {', '.join(lacking)}."
        ]})  # fmt: skip
    return sorted(set(scopes))


def policy_of(tenant_id) -> TokenPolicy:
    """The tenant's token policy: its row, or the defaults (unsaved) if it has none."""
    return TokenPolicy.objects.filter(tenant_id=tenant_id).first() or TokenPolicy(
        tenant_id=tenant_id
    )


def policy_default_expiry(policy: TokenPolicy, now: datetime | None = None) -> datetime | None:
    """What an API token gets when its maker names no expiry: the policy's default."""
    if policy.default_expiry == "never":
        return None
    return expiry_in_days(int(policy.default_expiry), now)


def policy_check_expiry(policy: TokenPolicy, expires_at: datetime | None, *, now: datetime) -> None:
    """Raises ValidationError (on `expires_at`) if the tenant's policy forbids this expiry
    for a new API token: never where never is not allowed, or past the maximum lifetime."""
    problem = None
    if expires_at is None and (not policy.allow_never or policy.max_lifetime_days):
        problem = "This tenant's token policy requires an expiry."
        if policy.max_lifetime_days:
            problem = (f"This tenant's token policy requires an expiry within "
                       f"{policy.max_lifetime_days} days.")  # fmt: skip
    elif expires_at is not None and policy.max_lifetime_days:
        # Up to the end of the day (UTC) that many days away: "a date" means through it.
        latest = expiry_on((now + timedelta(days=policy.max_lifetime_days)).date())
        if expires_at > latest:
            problem = (f"This tenant's token policy allows at most {policy.max_lifetime_days} "
                       "days.")  # fmt: skip
    if problem:
        raise ValidationError({"expires_at": [problem]})


POLICY_FIELDS = ("max_lifetime_days", "allow_never", "default_expiry", "dormant_days")


def _policy_text(name: str, value) -> str:
    if name in ("max_lifetime_days", "dormant_days"):
        return "off" if value is None and name == "dormant_days" else (
            "unlimited" if value is None else f"{value} days"
        )  # fmt: skip
    if name == "allow_never":
        return "yes" if value else "no"
    return dict(POLICY_EXPIRY_CHOICES)[value]


POLICY_LABELS = {
    "max_lifetime_days": "Maximum lifetime",
    "allow_never": "Never allowed",
    "default_expiry": "Default expiry",
    "dormant_days": "Retire unused after",
}


@transaction.atomic
def token_policy_save(*, tenant_id: int, by, origin: Origin = SYSTEM, **fields) -> TokenPolicy:
    """Sets the tenant's token policy (the fields given), checked as a whole, and logs what
    changed as one event (nothing changed: no event). Lifetime rules apply to tokens
    generated afterwards; the dormancy rule to every token."""
    policy = TokenPolicy.objects.select_for_update().filter(tenant_id=tenant_id).first()
    if policy is None:
        policy = TokenPolicy(tenant_id=tenant_id)
    before = {name: getattr(policy, name) for name in POLICY_FIELDS}
    for name, value in fields.items():
        if name not in POLICY_FIELDS:
            raise TypeError(name)
        setattr(policy, name, value)
    errors: dict[str, list[str]] = {}
    for name in ("max_lifetime_days", "dormant_days"):
        value = getattr(policy, name)
        if value is not None and not 1 <= value <= MAX_EXPIRY_DAYS:
            errors[name] = [
                f"Give a number of days from 1 to {MAX_EXPIRY_DAYS}, or leave it blank."
            ]
    if policy.default_expiry not in dict(POLICY_EXPIRY_CHOICES):
        errors["default_expiry"] = ["Choose one of the offered expiries."]
    elif policy.default_expiry == "never" and (not policy.allow_never or policy.max_lifetime_days):
        errors["default_expiry"] = ["The default cannot be never when never is not allowed."]
    elif (
        policy.default_expiry != "never"
        and policy.max_lifetime_days
        and "max_lifetime_days" not in errors
        and int(policy.default_expiry) > policy.max_lifetime_days
    ):
        errors["default_expiry"] = [
            f"The default ({_policy_text('default_expiry', policy.default_expiry)}) is longer "
            f"than the maximum lifetime ({policy.max_lifetime_days} days)."
        ]
    if errors:
        raise ValidationError(errors)
    changes = [
        f"{POLICY_LABELS[name]}: {_policy_text(name, before[name])} → "
        f"{_policy_text(name, getattr(policy, name))}"
        for name in POLICY_FIELDS
        if before[name] != getattr(policy, name)
    ]
    if not changes and policy.pk is not None:
        return policy
    policy.updated_at, policy.updated_by = timezone.now(), by
    policy.save()
    if changes:
        policy_event(tenant_id=tenant_id, by=by, origin=origin, detail="; ".join(changes) + ".")
    return policy


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
        token_event(token=token, kind=EventKind.FIRST_USED, origin=origin, at=now,
                    detail="First used.")  # fmt: skip


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


@transaction.atomic
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
    """Revokes a token at once: the next request made with it is refused. The row stays, with
    who revoked it and when, and the log gets a `revoked` event with the reason (by its
    owner or by an admin unless the caller says otherwise). Returns False if it was already
    revoked (and writes nothing): of two revocations at once, one wins."""
    now = timezone.now()
    user = by if getattr(by, "pk", None) is not None else None
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=user
    )
    if revoked:
        token.revoked_at, token.revoked_by = now, user
        if not reason:
            reason = (
                EventReason.BY_OWNER if user and user.pk == token.user_id else EventReason.BY_ADMIN
            )
        token_event(token=token, kind=EventKind.REVOKED, by=user, origin=origin, reason=reason,
                    detail=detail or f"Revoked: {EventReason(reason).label.lower()}.",
                    public=public, at=now, system=system)  # fmt: skip
    return bool(revoked)


# How long a rotated-out value keeps working (the rotation's choice; 24 hours unless told).
GRACE_PERIODS = {
    "none": timedelta(0),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}
DEFAULT_GRACE = "24h"


class RotationRefused(Exception):
    """A token that cannot be rotated (revoked, expired, or already rotated out): the
    message says why."""


def rotation_refusal(token: ApiToken, now: datetime) -> str:
    """Why the token cannot be regenerated ("" if it can)."""
    if token.revoked_at is not None:
        return "A revoked token cannot be rotated."
    if token.replaced_at is not None:
        return "This token was already rotated: rotate its successor."
    if token.is_expired(now):
        return "An expired token cannot be rotated: generate a new one."
    return ""


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


def token_rotate(
    *, token: ApiToken, by, grace: str = DEFAULT_GRACE, origin: Origin = SYSTEM
) -> tuple[ApiToken, str]:
    """Regenerates an API token: a new value with the same name, scopes, owner and kind, a
    fresh expiry per the tenant's policy (its default), shown once; the old value keeps
    working for the grace period chosen and is refused after it. Raises RotationRefused for
    a revoked, expired or already rotated-out token, ValidationError for a grace period not
    offered, NotTheOwner when `by` is someone else. Both tokens join one chain (chain_id).
    A lost race is a Conflict."""
    refuse_unless_owner(token, by)
    if grace not in GRACE_PERIODS:
        raise ValidationError({"grace": [
            f"Choose a grace period among {', '.join(GRACE_PERIODS)}."
        ]})  # fmt: skip
    now = timezone.now()
    with transaction.atomic():
        current = ApiToken.objects.select_for_update().filter(pk=token.pk).first()
        if current is None:
            raise RotationRefused("That token does not exist.")
        if why := rotation_refusal(current, now):
            raise RotationRefused(why)
        chain = current.chain_id or current.pk
        new, value = token_generate(
            user=current.user, name=current.name, kind=current.kind, scopes=current.scopes,
            expires_at=policy_default_expiry(policy_of(current.tenant_id), now),
            by=by, origin=origin, chain_id=chain,
        )  # fmt: skip
        until = now + GRACE_PERIODS[grace]
        moved = ApiToken.objects.filter(pk=current.pk, replaced_at__isnull=True).update(
            chain_id=chain, replaced_at=now, grace_until=until
        )
        if not moved:  # pragma: no cover - the row lock above makes this the loser's path
            raise Conflict("This token was rotated at the same moment; reload and try again.")
        for copy in (current, token):
            copy.replaced_at, copy.grace_until, copy.chain_id = now, until, chain
        detail = (f"Rotated: the old value works until {until:%Y-%m-%d %H:%M} UTC."
                  if grace != "none" else "Rotated: the old value stopped at once.")  # fmt: skip
        token_event(token=current, kind=EventKind.ROTATED, by=by, origin=origin,
                    detail=detail, at=now)  # fmt: skip
    return new, value


def token_reuse_detected(*, token: ApiToken, origin: Origin, how: str) -> int:
    """A rotated-out value was used after its grace period, or used to rotate again: a sign
    that someone else holds it. Every token of its rotation chain is revoked (reason
    "reused"), and its tenant gets a high-severity alert (tokens.signals.token_reused), once:
    a second detection that finds the chain revoked raises none. Returns how many were
    revoked."""
    now = timezone.now()
    revoked = 0
    with transaction.atomic():
        chain = token.chain_id or token.pk
        for member in ApiToken.objects.filter(chain_id=chain, revoked_at__isnull=True):
            revoked += token_revoke(token=member, by=None, reason=EventReason.REUSED,
                                    origin=origin)  # fmt: skip
        if revoked:  # of two requests at once with the old value, the one that revoked
            transaction.on_commit(lambda: token_reused.send(
                sender=ApiToken, token=token, at=now, how=how, revoked=revoked
            ))  # fmt: skip
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
        if token_revoke(token=token, by=None, reason=EventReason.EXPOSED, origin=origin,
                        public=True):  # fmt: skip
            revoked += 1
            tell_owner_exposed(token)
            token_exposed.send(sender=ApiToken, token=token, at=token.revoked_at)
    return revoked
