from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outcry.outbox"
    verbose_name = "Outbox"

    def ready(self):
        from outcry.outbox import checks  # noqa: F401  (registers the deploy check)
