from django.conf import settings
from django.urls import translate_url


def language_links(path: str) -> list[tuple[str, str, str]]:
    return [(code, name, translate_url(path, code)) for code, name in settings.LANGUAGES]


def site(request):
    """The site name, mail mode and this page's address in each language, for the layout.

    A page re-shown after a failed POST passes its own `language_links`: its
    address only takes POSTs, so a link to it in another language would fail.
    """
    return {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "local_mail": settings.LOCAL_MAIL,
        "language_links": language_links(request.path),
    }
