from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "tokens"
    verbose_name = "API tokens"

    def ready(self) -> None:
        # The task queue's and the outbox's gauges register with /metrics (core/metrics.py).
        # A role change tells each of the user's tokens what it gained or lost.
        from accounts.signals import role_changed
        from tokens import jobs  # noqa: F401
        from tokens.governance import tokens_follow_role

        def follow(sender, user, before, after, **kwargs):
            tokens_follow_role(user=user, before=before, after=after)

        role_changed.connect(follow, dispatch_uid="tokens-follow-role", weak=False)

        # Deprovisioning someone tells which of their tokens were used lately.
        from accounts import impact
        from tokens.handover import deprovision_impact

        impact.register(deprovision_impact)

        # Service accounts made and changed are in the tenant's token event log.
        from accounts.signals import service_account_changed
        from tokens.events import service_account_event

        service_account_changed.connect(
            service_account_event, dispatch_uid="tokens-service-account", weak=False
        )
