from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "outcry.privacy"
    verbose_name = "Privacy"
