from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.core.signals import got_request_exception

        from core.middleware import note_unavailable

        got_request_exception.connect(note_unavailable, dispatch_uid="core.unavailable")
