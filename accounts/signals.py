"""What accounts announce for the apps above them to act on (they register in their ready())."""

from django.dispatch import Signal

# A user's role changed (accounts.services.user_save: the admin, an Entra sign-in reading the
# roles claim, the demo data; user_role_clear: a role removed in Entra): sent inside the
# change's transaction with `user`, `before` and `after` (role names; "" is no role); tokens/
# writes each of the user's tokens an event naming what it gained or lost.
role_changed = Signal()

# A deprovisioning left service accounts without an active custodian (accounts.services.
# user_deprovision): sent inside its transaction with `accounts` (the service accounts) and
# `custodian` (the person deprovisioned); security/ raises an alert for each.
custodians_lost = Signal()

# A service account was created or changed (accounts/service_accounts.py): sent inside the
# change's transaction with `account`, `by` (the full admin; None: the system), `origin` and
# `detail` (what changed, in words); tokens/ writes it to the tenant's event log.
service_account_changed = Signal()
