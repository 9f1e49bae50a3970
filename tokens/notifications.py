"""E-mail to a token's owner, through Django's e-mail framework (settings: EMAIL_URL), sent
once the transaction that changed the token has committed (an expiry reminder: by the job,
inside the transaction that records it); never with a token's value."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from core.http import route_url
from tokens.models import ApiToken

logger = logging.getLogger(__name__)


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _letter(token: ApiToken, subject: str, body: str) -> EmailMessage:
    """A message to the token's owner, greeting them by name."""
    return EmailMessage(
        subject=subject,
        body=f"Hello {token.user.display_name},\n\n{body}",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[token.user.email],
    )


def _send_after_commit(token: ApiToken, message: EmailMessage, what: str) -> None:
    if not token.user.email:
        logger.warning("Token %s was %s; its owner has no e-mail address", token.pk, what)
        return
    transaction.on_commit(message.send, robust=True)  # a mail server down fails no request


def tell_owner_exposed(token: ApiToken) -> None:
    """After commit: the owner learns that their token was found in public and revoked."""
    when = _when(token.revoked_at) if token.revoked_at else "now"
    body = (
        f'Your {token.get_kind_display()} "{token.name}" (ending in …{token.suffix}) was '
        f"reported as published where anyone can read it, and this portal revoked it at {when}. "
        "Requests made with it are refused from now on.\n\n"
        "If a script or an integration used it, generate a new token for it on the API tokens "
        f"page ({route_url(token.tenant.custom_url, 'tokens:api-tokens')}) and keep the new "
        "value out of code, logs and chats. The token's page shows where it was used from.\n"
    )
    subject = f'Your token "{token.name}" was exposed and has been revoked'
    _send_after_commit(token, _letter(token, subject, body), "revoked as exposed")


def expiry_reminder(token: ApiToken, days: int) -> EmailMessage:
    """The reminder that a token expires in `days` days (tokens/jobs.py sends it)."""
    left = "tomorrow" if days == 1 else f"in {days} days"
    page = route_url(token.tenant.custom_url, "tokens:api-tokens")
    body = (
        f'Your API token "{token.name}" (ending in …{token.suffix}) expires {left}, at '
        f"{_when(token.expires_at)}. From then on, requests made with it are refused.\n\n"
        "If a script or an integration still uses it, regenerate it on the API tokens page "
        f"({page}): the new value has the same name and access, and the old one keeps "
        "working for the grace period you choose while you put the new one in place. If "
        "nothing uses it any more, let it expire or revoke it.\n"
    )
    return _letter(token, f'Your API token "{token.name}" expires {left}', body)


def tell_owner_dormant(token: ApiToken, days: int) -> None:
    """After commit: the owner learns that their token was retired for disuse."""
    body = (
        f'Your API token "{token.name}" (ending in …{token.suffix}) had not been used for '
        f"{days} days, so your tenant's token policy retired it at "
        f"{_when(token.revoked_at or timezone.now())}. Requests made with it are refused from "
        "now on.\n\n"
        "If you still need it, generate a new token on the API tokens page "
        f"({route_url(token.tenant.custom_url, 'tokens:api-tokens')}).\n"
    )
    subject = f'Your API token "{token.name}" was retired after {days} days unused'
    _send_after_commit(token, _letter(token, subject, body), "retired as dormant")
