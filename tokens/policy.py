"""A tenant's token policy: reading it (what a new token may be), and changing it, with a
preview first: what a change would do (which tokens a retirement rule would revoke, and
from when) is computed by the same code that saves it, and saving a new or shortened
retirement rule starts its notice period, telling each owner once (tokens/outbox.py)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.roles import CHANGES_DATA
from core.errors import Conflict
from core.http import SYSTEM, Origin
from tokens.events import policy_event
from tokens.expiry import POLICY_EXPIRY_CHOICES, expiry_in_days, expiry_on
from tokens.models import ApiToken, Kind, TokenPolicy
from tokens.models.policy import APPROVAL_ALL, APPROVAL_CHOICES, APPROVAL_MANAGE, APPROVAL_NOBODY
from tokens.notifications import full_admins_of, tell_owner_retirement_coming


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
            problem = (
                f"This tenant's token policy requires an expiry within "
                f"{policy.max_lifetime_days} days."
            )
    elif expires_at is not None and policy.max_lifetime_days:
        # Up to the end of the day (UTC) that many days away: "a date" means through it.
        latest = expiry_on((now + timedelta(days=policy.max_lifetime_days)).date())
        if expires_at > latest:
            problem = f"This tenant's token policy allows at most {policy.max_lifetime_days} days."
    if problem:
        raise ValidationError({"expires_at": [problem]})


def policy_check_allowlist(
    policy: TokenPolicy, capabilities, allowed_ips: list[str] | None
) -> None:
    """Raises ValidationError (on `allowed_ips`) if the tenant's policy requires an allow-list
    of a token that may change data (any `*.manage` capability among `capabilities`) and it
    has none."""
    changes = sorted(name for name in capabilities if name in CHANGES_DATA)
    if policy.manage_needs_allowlist and changes and allowed_ips is None:
        message = (
            "This tenant's token policy requires an allow-list for a token that can change "
            f"data ({', '.join(changes)}): give the addresses or ranges it will be used from, "
            "or narrow it to read capabilities."
        )
        raise ValidationError({"allowed_ips": [ValidationError(message, code=BY_POLICY)]})


def policy_needs_approval(policy: TokenPolicy, capabilities) -> bool:
    """Whether a new API token that may do `capabilities` waits for a full admin's approval
    under the tenant's policy (tokens/approval.py)."""
    wanted = policy.approval_required_for
    if wanted == APPROVAL_ALL:
        return True
    return wanted == APPROVAL_MANAGE and any(name in CHANGES_DATA for name in capabilities)


BY_POLICY = "policy"  # the code of a refusal that the tenant's policy, not the input, makes


def policy_refusal(error: ValidationError) -> str | None:
    """The message of a refusal the tenant's policy made (the API answers it 409: the input
    is well formed, the tenant's rules as they are now refuse it), or None."""
    for errors in getattr(error, "error_dict", {}).values():
        for item in errors:
            if item.code == BY_POLICY:
                return item.messages[0]
    return None


POLICY_FIELDS = (
    "max_lifetime_days",
    "allow_never",
    "default_expiry",
    "dormant_days",
    "notice_days",
    "strict_rotation",
    "manage_needs_allowlist",
    "approval_required_for",
)
POLICY_LABELS = {
    "max_lifetime_days": "Maximum lifetime",
    "allow_never": "Never allowed",
    "default_expiry": "Default expiry",
    "dormant_days": "Retire unused after",
    "notice_days": "Notice before a retirement rule",
    "strict_rotation": "Strict rotation",
    "manage_needs_allowlist": "Allow-list required for tokens that can change data",
    "approval_required_for": "Approval required for",
}


def _policy_text(name: str, value) -> str:
    if name == "dormant_days":
        return "off" if value is None else f"{value} days"
    if name == "max_lifetime_days":
        return "unlimited" if value is None else f"{value} days"
    if name == "notice_days":
        return f"{value} days"
    if name in ("allow_never", "strict_rotation", "manage_needs_allowlist"):
        return "yes" if value else "no"
    if name == "approval_required_for":
        return dict(APPROVAL_CHOICES)[value].lower()
    return dict(POLICY_EXPIRY_CHOICES)[value]


def dormant(tenant_id: int, cutoff: datetime):
    """The tenant's live API tokens last used before `cutoff` (never used: made before it),
    as far as the database knows."""
    return (
        ApiToken.objects.for_tenant(tenant_id)
        .live()
        .filter(kind=Kind.API)
        .filter(Q(last_used_at__lt=cutoff) | Q(last_used_at__isnull=True, created_at__lt=cutoff))
    )


SHOWN_RETIRING = 50  # tokens a preview names; the count goes on to COUNT_BOUND
COUNT_BOUND = 1_000


@dataclass
class PolicyPlan:
    """What saving a change of the policy does: the policy as it would be, the changes in
    words, and the retirement it would bring: the tokens unused for its days now (`retiring`,
    the first SHOWN_RETIRING; `retiring_count`, up to COUNT_BOUND + 1) and from when
    (`retire_from`: now, or the end of the notice period a new or shortened rule gets)."""

    policy: TokenPolicy
    changes: list[str]
    retire_from: datetime | None = None
    retiring: list[ApiToken] = field(default_factory=list)
    retiring_count: int = 0
    notice_starts: bool = False  # a new or shortened rule: owners are told now

    @property
    def retiring_over_bound(self) -> bool:
        return self.retiring_count > COUNT_BOUND


def token_policy_plan(*, tenant_id: int, now: datetime | None = None, **fields) -> PolicyPlan:
    """What setting the policy's `fields` would do, changing nothing: ValidationError (each
    on its field) where the result breaks a rule (TokenPolicy.clean)."""
    return _plan(_locked_or_default(tenant_id, lock=False), now or timezone.now(), fields)


@transaction.atomic
def token_policy_save(*, tenant_id: int, by, origin: Origin = SYSTEM, **fields) -> PolicyPlan:
    """Sets the tenant's token policy (the fields given), checked as a whole, and logs what
    changed as one event (nothing changed: no event). Lifetime rules apply to tokens
    generated afterwards; a retirement rule to every token, but a new or shortened one
    only after its notice period (`notice_days`), whose start tells each owner of a token
    it would retire, once, by e-mail. Returns what it did (as token_policy_plan said)."""
    now = timezone.now()
    plan = _plan(_locked_or_default(tenant_id, lock=True), now, fields)
    policy = plan.policy
    if not plan.changes and policy.pk is not None:
        return plan
    policy.updated_at, policy.updated_by = now, by
    policy.save()
    if plan.changes:
        detail = "; ".join(plan.changes) + "."
        if plan.notice_starts and policy.dormant_from is not None:
            detail += (
                f" Nothing is retired under the new rule before "
                f"{policy.dormant_from:%Y-%m-%d %H:%M} UTC."
            )
        policy_event(tenant_id=tenant_id, by=by, origin=origin, detail=detail)
    if plan.notice_starts and plan.retire_from is not None:
        _tell_owners(policy, plan.retire_from, now)
    return plan


def _locked_or_default(tenant_id: int, *, lock: bool) -> TokenPolicy:
    policies = TokenPolicy.objects.filter(tenant_id=tenant_id)
    policy = (policies.select_for_update() if lock else policies).first()
    return policy or TokenPolicy(tenant_id=tenant_id)


def _plan(policy: TokenPolicy, now: datetime, fields: dict) -> PolicyPlan:
    before = {name: getattr(policy, name) for name in POLICY_FIELDS}
    for name, value in fields.items():
        if name not in POLICY_FIELDS:
            raise TypeError(name)
        setattr(policy, name, value)
    policy.clean()
    if policy.approval_required_for != before["approval_required_for"]:
        _check_approvers(policy)
    changes = [
        f"{POLICY_LABELS[name]}: {_policy_text(name, before[name])} → "
        f"{_policy_text(name, getattr(policy, name))}"
        for name in POLICY_FIELDS
        if before[name] != getattr(policy, name)
    ]
    old, new = before["dormant_days"], policy.dormant_days
    notice_starts = new is not None and (old is None or new < old)
    if new is None:
        policy.dormant_from = None
    elif notice_starts:
        policy.dormant_from = now + timedelta(days=policy.notice_days)
    plan = PolicyPlan(policy=policy, changes=changes, notice_starts=notice_starts)
    if new is not None:
        plan.retire_from = max(policy.dormant_from or now, now)
        retiring = dormant(policy.tenant_id, now - timedelta(days=new))
        plan.retiring_count = retiring.order_by()[: COUNT_BOUND + 1].count()
        plan.retiring = list(
            retiring.select_related("user").order_by("last_used_at", "created_at", "pk")[
                :SHOWN_RETIRING
            ]
        )
    return plan


class ApproversLacking(Conflict):
    """Approval asked of a tenant with fewer than two full admins."""


def _check_approvers(policy: TokenPolicy) -> None:
    """Approval needs two full admins: nobody approves their own request, so with one, that
    admin's requests could never be approved (DECISIONS 95)."""
    if policy.approval_required_for == APPROVAL_NOBODY:
        return
    approvers = full_admins_of(policy.tenant_id).count()
    if approvers < 2:
        # Well-formed, refused by the tenant as it is now: a 409 (a form error on the page).
        raise ApproversLacking(
            "approval_required_for: approval needs at least two full admins, since nobody "
            f"approves their own request; this tenant has {approvers}. Make another person a "
            "global administrator first."
        )


NAMED_PER_OWNER = 20


def _tell_owners(policy: TokenPolicy, start: datetime, now: datetime) -> None:
    """One notice per owner of a token the new rule would retire, naming up to 20 of them."""
    assert policy.dormant_days is not None  # noqa: S101  (a notice starts only for a rule)
    retiring = (
        dormant(policy.tenant_id, now - timedelta(days=policy.dormant_days))
        .select_related("user", "tenant")
        .order_by("user_id", "pk")
    )
    owner, more = None, 0
    theirs: list[ApiToken] = []
    for token in retiring.iterator(chunk_size=500):
        if token.user_id != owner:
            if theirs:
                tell_owner_retirement_coming(theirs, policy.dormant_days, start, more)
            owner, theirs, more = token.user_id, [], 0
        if len(theirs) < NAMED_PER_OWNER:
            theirs.append(token)
        else:
            more += 1
    if theirs:
        tell_owner_retirement_coming(theirs, policy.dormant_days, start, more)
