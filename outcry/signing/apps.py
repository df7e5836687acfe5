from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "outcry.signing"
    verbose_name = "Signing"
