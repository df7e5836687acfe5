from django.apps import AppConfig


class FraudConfig(AppConfig):
    name = "outcry.fraud"
    verbose_name = "Fraud defence"
