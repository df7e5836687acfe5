from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "outcry.actions"
    verbose_name = "Urgent actions"
