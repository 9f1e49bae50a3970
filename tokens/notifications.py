"""E-mail to a token's owner, through Django's e-mail framework (settings: EMAIL_URL), sent
once the transaction that changed the token has committed; never with a token's value."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from core.http import route_url
from tokens.models import ApiToken

logger = logging.getLogger(__name__)


def tell_owner_exposed(token: ApiToken) -> None:
    """After commit: the owner learns that their token was found in public and revoked."""
    address = token.user.email
    if not address:
        logger.warning("Token %s was revoked as exposed; its owner has no e-mail address", token.pk)
        return
    when = token.revoked_at.strftime("%Y-%m-%d %H:%M UTC") if token.revoked_at else "now"
    body = (
        f"Hello {token.user.display_name},\n\n"
        f'Your {token.get_kind_display()} "{token.name}" (ending in …{token.suffix}) was '
        f"reported as published where anyone can read it, and this portal revoked it at {when}. "
        "Requests made with it are refused from now on.\n\n"
        "If a script or an integration used it, generate a new token for it on the API tokens "
        f"page ({route_url(token.tenant.custom_url, 'tokens:api-tokens')}) and keep the new "
        "value out of code, logs and chats. The token's page shows where it was used from.\n"
    )
    message = EmailMessage(
        subject=f'Your token "{token.name}" was exposed and has been revoked',
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
    )
    transaction.on_commit(message.send, robust=True)  # a mail server down fails no request


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def expiry_reminder(token: ApiToken, days: int) -> EmailMessage:
    """The reminder that a token expires in `days` days (tokens/jobs.py sends it)."""
    left = "tomorrow" if days == 1 else f"in {days} days"
    page = route_url(token.tenant.custom_url, "tokens:api-tokens")
    body = (
        f"Hello {token.user.display_name},\n\n"
        f'Your API token "{token.name}" (ending in …{token.suffix}) expires {left}, at '
        f"{_when(token.expires_at)}. From then on, requests made with it are refused.\n\n"
        "If a script or an integration still uses it, regenerate it on the API tokens page "
        f"({page}): the new value has the same name and access, and the old one keeps "
        "working for the grace period you choose while you put the new one in place. If "
        "nothing uses it any more, let it expire or revoke it.\n"
    )
    return EmailMessage(
        subject=f'Your API token "{token.name}" expires {left}',
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[token.user.email],
    )


def tell_owner_dormant(token: ApiToken, days: int) -> None:
    """After commit: the owner learns that their token was retired for disuse."""
    if not token.user.email:
        logger.warning("Token %s was retired as dormant; its owner has no e-mail address", token.pk)
        return
    body = (
        f"Hello {token.user.display_name},\n\n"
        f'Your API token "{token.name}" (ending in …{token.suffix}) had not been used for '
        f"{days} days, so your tenant's token policy retired it at "
        f"{_when(token.revoked_at or timezone.now())}. Requests made with it are refused from "
        "now on.\n\n"
        "If you still need it, generate a new token on the API tokens page "
        f"({route_url(token.tenant.custom_url, 'tokens:api-tokens')}).\n"
    )
    message = EmailMessage(
        subject=f'Your API token "{token.name}" was retired after {days} days unused',
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[token.user.email],
    )
    transaction.on_commit(message.send, robust=True)
