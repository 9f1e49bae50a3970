"""What tokens announce for the apps above them to act on (they register in their ready())."""

from django.dispatch import Signal

# A live token was found in public and revoked (tokens.services.credentials_revoke): sent
# with `token` and `at`; security/ raises an alert in the token's tenant.
token_exposed = Signal()

# A rotated-out value was used after its grace period, or to rotate again, and its rotation
# chain was revoked (tokens.services.token_reuse_detected): sent after commit with `token`,
# `at`, `how` and `revoked`; security/ raises an alert in the token's tenant.
token_reused = Signal()
