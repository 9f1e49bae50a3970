"""The public report of leaked credentials (POST /api/v1/credentials/revoke/)."""

from django.db import transaction

from core.http import Origin
from tokens import keys
from tokens.lifecycle import EventReason
from tokens.models import ApiToken
from tokens.notifications import tell_owner_exposed
from tokens.services import token_revoke
from tokens.signals import token_exposed

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
