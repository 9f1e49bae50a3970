from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Tenants and users"

    def ready(self) -> None:
        # Every sign-in (a password, MFA, Entra) is the moment "sudo mode" counts from.
        from django.contrib.auth.signals import user_logged_in

        from accounts.reauthentication import on_sign_in

        user_logged_in.connect(on_sign_in, dispatch_uid="accounts-signed-in-at")
