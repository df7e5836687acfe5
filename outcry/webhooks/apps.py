from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "outcry.webhooks"
    verbose_name = "Webhooks"
