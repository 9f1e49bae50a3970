from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "tokens"
    verbose_name = "API tokens"

    def ready(self) -> None:
        # The task queue's and the outbox's gauges register with /metrics (core/metrics.py).
        from tokens import jobs  # noqa: F401
