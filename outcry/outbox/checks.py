from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def local_mail_is_not_for_production(app_configs, **kwargs):
    if settings.LOCAL_MAIL:
        return [
            Warning(
                "EMAIL_URL is not set: e-mail stays in the local mailbox and reaches nobody.",
                hint="Set EMAIL_URL=submission://user:password@host:587 (STARTTLS).",
                id="outcry.W001",
            )
        ]
    return []
