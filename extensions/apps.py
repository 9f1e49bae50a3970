from django.apps import AppConfig


class ExtensionsConfig(AppConfig):
    name = "extensions"
    verbose_name = "Security extensions"

    def ready(self) -> None:
        # The upload flow lives in security/, below this app: it asks what it must know of
        # log collectors through these, and never imports them.
        from extensions.uploads import collector_rules, count_received
        from security.uploads import register_rules, upload_received

        register_rules(collector_rules)
        upload_received.connect(count_received, dispatch_uid="extensions.count_received")
