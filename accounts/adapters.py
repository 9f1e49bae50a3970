from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context

from core.http import is_safe_redirect


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are made by administrators, SCIM provisioning and Entra sign-in, never by
    visitors."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def is_safe_url(self, url) -> bool:
        # allauth trusts every host in ALLOWED_HOSTS, which holds every tenant's: a sign-in
        # on Contoso's URL must not send the browser on to Fabrikam's.
        return is_safe_redirect(context.request, url)
