from django.apps import AppConfig


class OrganiserConfig(AppConfig):
    name = "outcry.organiser"
    verbose_name = "Organiser workspace"
