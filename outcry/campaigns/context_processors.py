from django.conf import settings
from django.urls import translate_url


def site(request):
    """The site name, mail mode and this page's address in each language, for the layout."""
    return {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "local_mail": settings.LOCAL_MAIL,
        "language_links": [
            (code, name, translate_url(request.path, code)) for code, name in settings.LANGUAGES
        ],
    }
