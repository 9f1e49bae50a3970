from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Security data"

    def ready(self) -> None:
        # A token found in public becomes an alert of its tenant (tokens/signals.py).
        from accounts.signals import custodians_lost
        from security import services
        from tokens.signals import (
            token_address_refused,
            token_exposed,
            token_reused,
            token_used_late,
        )

        token_exposed.connect(services.alert_token_exposed, dispatch_uid="security-exposed")
        token_reused.connect(services.alert_token_reused, dispatch_uid="security-reused")
        token_used_late.connect(services.alert_token_used_late, dispatch_uid="security-late")
        token_address_refused.connect(
            services.alert_token_address_refused, dispatch_uid="security-address"
        )
        # A service account left without a custodian (accounts/service_accounts.py).
        custodians_lost.connect(services.alert_custodians_lost, dispatch_uid="security-custody")
