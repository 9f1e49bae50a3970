"""What tokens announce for the apps above them to act on (they register in their ready())."""

from django.dispatch import Signal

# A live token was found in public and revoked (tokens.leaks.credentials_revoke): sent
# with `token` and `at`; security/ raises an alert in the token's tenant.
token_exposed = Signal()

# A rotated-out value was used to mint a new one (or, under a strict rotation policy, used
# after its grace period), and its rotation chain was revoked
# (tokens.refusals.token_theft_detected): sent after commit with `token`,
# `at`, `how` and `revoked`; security/ raises an alert in the token's tenant.
token_reused = Signal()

# A rotated-out value was used after its grace period and refused (its successor stays
# live; tokens.refusals.token_refused, at most once an hour per token): sent after commit
# with `token`, `at`, `ip` and `user_agent`; security/ raises an alert in the token's tenant.
token_used_late = Signal()

# A token was used from an address its allow-list does not hold, and refused
# (tokens.refusals.token_refused, at most once an hour per token): sent after commit with
# `token`, `at`, `ip` and `user_agent`; security/ raises an alert in the token's tenant.
token_address_refused = Signal()
