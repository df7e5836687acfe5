from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "outcry.campaigns"
    verbose_name = "Campaigns"
