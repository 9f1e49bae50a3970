"""E-mail to a token's owner, through Django's e-mail framework (settings: EMAIL_URL), sent
once the transaction that changed the token has committed; never with a token's value."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction

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
