"""Least privilege from evidence: a token's network allow-list changed, a token narrowed to
what it needs (its value kept: scripts keep working), and the privileges a token gained or
lost when its owner's role changed. Each change applies to every working value of the
token's rotation chain (an old value in its grace period is the same token) and is an event.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.roles import SCOPES, Capability, capabilities_for
from core.errors import Conflict
from core.http import SYSTEM, Origin
from tokens.allowlist import allowlist_check, allowlist_text
from tokens.events import token_event
from tokens.models import ApiToken, EventKind, Kind
from tokens.models.token import within
from tokens.policy import policy_check_allowlist, policy_of

NOT_LIVE = "A revoked token cannot be changed."
EVERY = frozenset(c.value for c in Capability)


def _live_chain(token: ApiToken) -> list[ApiToken]:
    """The token's chain under its row lock, its revoked values left out; a Conflict if the
    token itself is revoked (also by a request an instant earlier)."""
    chain = ApiToken.objects.lock_chain(token)
    current = next((member for member in chain if member.pk == token.pk), None)
    if current is None or current.revoked_at is not None:
        raise Conflict(NOT_LIVE)
    return [member for member in chain if member.revoked_at is None]


@transaction.atomic
def token_set_allowlist(*, token: ApiToken, allowed_ips, by, origin: Origin = SYSTEM) -> bool:
    """Sets where the token may be used from (`allowed_ips`, tokens/allowlist.py; None:
    anywhere), its value unchanged. The tenant's policy may require a list of a token that
    can change data. Returns False (and writes nothing) when the list is the same; otherwise
    an event says who changed it from what to what."""
    allowed_ips = allowlist_check(allowed_ips)
    chain = _live_chain(token)
    current = next(member for member in chain if member.pk == token.pk)
    if token.kind == Kind.API:
        policy_check_allowlist(
            policy_of(token.tenant_id), current.granted_capabilities or (), allowed_ips
        )
    before = current.allowed_ips
    if before == allowed_ips:
        return False
    _change(
        chain,
        current,
        EventKind.CHANGED,
        f"Allow-list: {allowlist_text(before)} → {allowlist_text(allowed_ips)}.",
        by=by,
        origin=origin,
        allowlist=" ".join(allowed_ips or ()),
    )
    token.allowed_ips = allowed_ips
    return True


def _change(chain, current, kind: str, said: str, *, by, origin: Origin, **columns) -> None:
    """`columns` set on every working value of the chain, and one event on the token: `said`,
    and that its value is unchanged."""
    ApiToken.objects.filter(pk__in=[member.pk for member in chain]).update(**columns)
    detail = f"{said} The value is unchanged."
    token_event(token=current, kind=kind, by=by, origin=origin, detail=detail)


def _refuse(message: str) -> ValidationError:
    return ValidationError({"scopes": [message]})


class WideningRefused(Exception):
    """A narrowing that would give the token a capability it cannot use now: a wider token is
    a new token (the API answers 403)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def narrowing_check(token: ApiToken, scopes) -> list[str]:
    """The scopes a narrowing of `token` would leave, sorted: a non-empty list of
    capabilities it can use now. Raises WideningRefused naming one it cannot (a wider token
    is a new token), ValidationError for one unknown or an empty list."""
    if not isinstance(scopes, list | tuple) or not scopes:
        raise _refuse("Choose at least one capability to keep; to stop it, revoke it.")
    known = {scope.value for scope in SCOPES}
    if unknown := [s for s in scopes if not isinstance(s, str) or s not in known]:
        raise _refuse(
            f"Unknown capability: {unknown[0]!r}. Choose among {', '.join(sorted(known))}."
        )
    held = token.capabilities
    if wider := sorted(set(scopes) - set(held)):
        raise WideningRefused(
            f"This token cannot do {', '.join(wider)} now, so it cannot keep it: narrowing "
            "never widens a token. Generate a new token for that."
        )
    return sorted(set(scopes))


@transaction.atomic
def token_narrow(*, token: ApiToken, scopes, by, origin: Origin = SYSTEM) -> bool:
    """Narrows the token to `scopes` (narrowing_check: only what it can do now), keeping its
    value, so that whatever uses it keeps working within them. Returns False (nothing
    written) if it can do exactly that already; otherwise an event names before and after."""
    chain = _live_chain(token)
    current = next(member for member in chain if member.pk == token.pk)
    kept = narrowing_check(current, scopes)
    before = sorted(current.capabilities)
    if before == kept and current.scopes is not None:
        return False
    granted = [name for name in current.granted_capabilities or kept if name in kept]
    _change(
        chain,
        current,
        EventKind.NARROWED,
        f"Narrowed: {', '.join(before) or 'nothing'} → {', '.join(kept)}.",
        by=by,
        origin=origin,
        scopes=kept,
        granted_capabilities=granted,
    )
    token.scopes, token.granted_capabilities = kept, granted
    return True


def role_change_losses(*, user, after: str) -> list[tuple[ApiToken, list[str]]]:
    """What changing `user`'s role to `after` would take from each of their live tokens
    (the preview of a service account's role change): (token, capabilities lost), for those
    that lose any, oldest first."""
    old, new = capabilities_for(user.role), capabilities_for(after)
    losses = []
    tokens = ApiToken.objects.filter(user=user).live().select_related("user").order_by("pk")
    for token in tokens:
        if lost := _taken(_made_with(token), old, new):
            losses.append((token, lost))
    return losses


def _made_with(token: ApiToken) -> frozenset:
    """What `token` was made able to do (its scopes within what it was granted)."""
    return within(EVERY, token.scopes, token.granted_capabilities or ())


def _taken(made, old, new) -> list[str]:
    """Of what a token was made with, what a role change from `old` to `new` takes."""
    return sorted(name for name in made if name in old and name not in new)


def tokens_follow_role(*, user, before: str, after: str) -> int:
    """Each live token of `user` gets an event naming what it gained and lost when their role
    went from `before` to `after` (capabilities within what it was made with: a promotion
    gives a token back only what a demotion took from it). Returns how many events."""
    old, new = capabilities_for(before), capabilities_for(after)
    written = 0
    for token in ApiToken.objects.filter(user=user).live().select_related("user"):
        made = _made_with(token)
        lost = _taken(made, old, new)
        gained = _taken(made, new, old)
        withheld = sorted(c.value for c in new - old if c.value not in made)
        if not (lost or gained or withheld):
            continue
        said = [f"Role of {user.username}: {_role(before)} → {_role(after)}."]
        if lost:
            said.append(f"Lost {', '.join(lost)}.")
        if gained:
            said.append(f"Regained {', '.join(gained)}.")
        if withheld:
            them = "it" if len(withheld) == 1 else "them"
            said.append(f"Not given {', '.join(withheld)}: it was not made with {them}.")
        token_event(token=token, kind=EventKind.DRIFTED, detail=" ".join(said), system="Role")
        written += 1
    return written


def _role(role: str) -> str:
    from accounts.models import User

    return dict(User._meta.get_field("role").choices or ()).get(role, role or "no role")
