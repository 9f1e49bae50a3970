"""What the portal writes to a token's owner, and the queueing of it in the outbox
(tokens/outbox.py: written with the change, delivered by the worker, retried until sent);
never with a token's value. Times are said in UTC, with the zone, and "in 5 days" is
computed from the time the message is written (time_left)."""

from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import User
from accounts.roles import Capability, Role, capabilities_for
from core.http import route_url
from tokens.models import ApiToken
from tokens.outbox import notice_queue


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _queue(token: ApiToken, kind: str, subject: str, body: str, *, about: bool = True) -> None:
    """A notice to the token's owner, greeting them by name; about that token unless `about`
    is False (a notice about several of the owner's tokens)."""
    notice_queue(
        tenant_id=token.tenant_id,
        token=token if about else None,
        to=token.user.email,
        kind=kind,
        subject=subject,
        body=f"Hello {token.user.display_name},\n\n{body}",
    )


def _page(token: ApiToken) -> str:
    return route_url(token.tenant.custom_url, "tokens:api-tokens")


def tell_owner_exposed(token: ApiToken) -> None:
    """The owner learns that their token was found in public and revoked."""
    when = _when(token.revoked_at) if token.revoked_at else "now"
    body = (
        f'Your {token.get_kind_display()} "{token.name}" (ending in …{token.suffix}) was '
        f"reported as published where anyone can read it, and this portal revoked it at {when}. "
        "Requests made with it are refused from now on.\n\n"
        "If a script or an integration used it, generate a new token for it on the API tokens "
        f"page ({_page(token)}) and keep the new value out of code, logs and chats. The "
        "token's page shows where it was used from.\n"
    )
    subject = f'Your token "{token.name}" was exposed and has been revoked'
    _queue(token, "exposed", subject, body)


def time_left(expires_at: datetime, now: datetime) -> str:
    """How long until an expiry, from `now`, in whole units and never rounded up: "in 6
    days" (6 days and 23 hours left), "in 1 day", "in 20 hours", "in 1 hour", "in 5 minutes".
    The messages follow it with the exact moment, so that nothing reads as further away, or
    nearer, than it is."""
    left = max(expires_at - now, timedelta(0))
    for unit, name in ((timedelta(days=1), "day"), (timedelta(hours=1), "hour")):
        if left >= unit:
            count = left // unit
            return f"in {count} {name}{'s' if count != 1 else ''}"
    minutes = max(1, left // timedelta(minutes=1))
    return f"in {minutes} minute{'s' if minutes != 1 else ''}"


def tell_owner_expiring(token: ApiToken, now: datetime) -> None:
    """The reminder that a token expires soon, worded from the time left at `now`."""
    assert token.expires_at is not None  # noqa: S101  (only expiring tokens are reminded)
    left = time_left(token.expires_at, now)
    body = (
        f'Your API token "{token.name}" (ending in …{token.suffix}) expires {left}, at '
        f"{_when(token.expires_at)}. From then on, requests made with it are refused.\n\n"
        "If a script or an integration still uses it, regenerate it on the API tokens page "
        f"({_page(token)}): the new value has the same name and access, and the old one keeps "
        "working for the grace period you choose while you put the new one in place. If "
        "nothing uses it any more, let it expire or revoke it.\n"
    )
    _queue(token, "reminder", f'Your API token "{token.name}" expires {left}', body)


def tell_owner_dormant(token: ApiToken, days: int) -> None:
    """The owner learns that their token was retired for disuse."""
    body = (
        f'Your API token "{token.name}" (ending in …{token.suffix}) had not been used for '
        f"{days} day{'s' if days != 1 else ''}, so your tenant's token policy retired it at "
        f"{_when(token.revoked_at or timezone.now())}. Requests made with it are refused from "
        f"now on.\n\nIf you still need it, generate a new token on the API tokens page "
        f"({_page(token)}).\n"
    )
    subject = (
        f'Your API token "{token.name}" was retired after {days} '
        f"day{'s' if days != 1 else ''} unused"
    )
    _queue(token, "dormant", subject, body)


def tell_owner_retirement_coming(
    tokens: list[ApiToken], days: int, start: datetime, more: int = 0
) -> None:
    """One owner learns, once, that a new retirement rule will revoke these tokens of theirs
    from `start` unless they are used before then (`more`: how many others, not named)."""
    first = tokens[0]
    names = "\n".join(f'- "{token.name}" (ending in …{token.suffix})' for token in tokens)
    if more:
        names += f"\n- and {more} more"
    plural = "s" if len(tokens) + more != 1 else ""
    body = (
        f"Your tenant's token policy now retires API tokens that have not been used for {days} "
        f"day{'s' if days != 1 else ''}. These token{plural} of yours have not been used that "
        f"long:\n\n{names}\n\nFrom {_when(start)} they are revoked unless they are used before "
        "then. If a script still needs one, use it (any request counts) or ask an admin; if "
        f"not, you may revoke it yourself on the API tokens page ({_page(first)}).\n"
    )
    subject = (
        f"{len(tokens) + more} API token{plural} of yours will be retired from {start:%Y-%m-%d}"
    )
    _queue(first, "retirement_notice", subject, body, about=False)


def full_admins_of(tenant_id: int):
    """The tenant's active people who may decide approval requests (Tokens.manage_all)."""
    roles = [role for role in Role if Capability.TOKENS_MANAGE_ALL in capabilities_for(role)]
    return User.objects.people_in(tenant_id).filter(
        role__in=roles, deprovisioned_at__isnull=True, is_active=True
    )


def _to(person, token: ApiToken, kind: str, subject: str, body: str) -> None:
    notice_queue(
        tenant_id=token.tenant_id,
        token=token,
        to=person.email,
        kind=kind,
        subject=subject,
        body=f"Hello {person.display_name},\n\n{body}",
    )


def _what(token: ApiToken) -> str:
    can = ", ".join(sorted(token.capabilities)) or "nothing"
    owner = token.user
    whose = f"the service account {owner.username}" if owner.is_service_account else owner.username
    return (
        f'"{token.name}" (ending in …{token.suffix}), of {whose}, which can: {can}'
        f"{'; only from ' + ', '.join(token.allowed_ips) if token.allowed_ips else ''}"
    )


def tell_approval_requested(token: ApiToken) -> None:
    """A token was made pending approval: its requester learns it waits, and each other full
    admin of the tenant is asked to decide."""
    assert token.pending_until is not None  # noqa: S101 (only pending tokens are asked about)
    requester = token.made_by
    page = route_url(token.tenant.custom_url, "tokens:decide", token_id=token.pk)
    until = _when(token.pending_until)
    _to(
        requester,
        token,
        "approval_requested",
        f'Your API token "{token.name}" waits for approval',
        f"Your tenant's token policy requires a full admin's approval of the API token "
        f"{_what(token)}. Until another full admin approves it, every request made with it is "
        f'refused (403, "Token pending approval"). If nobody decides by {until}, the request '
        "expires and the token is revoked. Keep the value you were shown: it is the one that "
        "will work once approved.\n",
    )
    for admin in full_admins_of(token.tenant_id).exclude(pk=requester.pk):
        _to(
            admin,
            token,
            "approval_requested",
            f'{requester.username} asks for approval of the API token "{token.name}"',
            f"{requester.display_name} ({requester.username}) generated the API token "
            f"{_what(token)}. Your tenant's token policy requires a full admin's approval "
            f"before it works. Approve or deny it by {until} at {page}\n",
        )


DECISIONS = {
    "approved": ("approved", "It works from now on."),
    "denied": ("denied", "It is revoked: requests made with it stay refused."),
    "expired": (
        "not decided in time",
        "It is revoked: requests made with it stay refused. Generate a new token if you still "
        "need one.",
    ),
}


def tell_approval_decided(token: ApiToken, decision: str, by=None, note: str = "") -> None:
    """The requester learns what became of their request: approved, denied (by whom, with
    the note), or expired undecided."""
    said, then = DECISIONS[decision]
    who = f" by {by.display_name} ({by.username})" if by is not None else ""
    noted = f'\n\nTheir note: "{note}"' if note else ""
    _to(
        token.made_by,
        token,
        f"approval_{decision}",
        f'Your API token "{token.name}" was {said}',
        f"Your request for the API token {_what(token)} was {said}{who}. {then}{noted}\n",
    )


def tell_custodians_handed_over(new: ApiToken, before, by, until: datetime) -> None:
    """Each active custodian of the service account a token was handed over to learns it is
    now theirs to look after (never with its value, which went to the admin once)."""
    account = new.user
    old = (
        f"The old value works until {_when(until)}, then is refused"
        if until > new.created_at
        else "The old value stopped at once"
    )
    page = route_url(new.tenant.custom_url, "tokens:detail", token_id=new.pk)
    for person in account.active_custodians:
        _to(
            person,
            new,
            "handed_over",
            f'The API token "{new.name}" was handed over to {account.username}',
            f'{by.display_name} ({by.username}) handed the API token "{new.name}" of '
            f"{before.display_name} ({before.username}), who was deprovisioned, over to the "
            f"service account {account.username}, which you look after. {old}. Its new value "
            f"(ending in …{new.suffix}) was shown once to {by.display_name}, who puts it where "
            f"the integration reads it. Its page: {page}\n",
        )
