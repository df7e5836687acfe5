from django.apps import AppConfig


class GuardConfig(AppConfig):
    name = "outcry.guard"
    verbose_name = "Robot and flood defence"
