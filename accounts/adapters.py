from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are made by administrators (and, later, by Entra sign-in), never by visitors."""

    def is_open_for_signup(self, request) -> bool:
        return False
