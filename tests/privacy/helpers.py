"""Signing and opening the "my data" page as a supporter would, for the privacy tests."""

from django.urls import reverse
from django.utils import translation

from outcry.outbox.models import Message
from outcry.outbox.services import render
from outcry.privacy import links
from outcry.privacy.digest import email_digest
from outcry.signing import services
from outcry.signing.models import NameDisplay


def sign(petition, email="ana@example.org", **kwargs) -> None:
    fields = {
        "name": "Ana María Quispe",
        "email": email,
        "country": "PE",
        "postcode": "15001",
        "name_display": NameDisplay.FULL,
        "wants_updates": True,
        "language": "en",
        **kwargs,
    }
    services.sign(petition=petition, **fields)


def sign_and_confirm(petition, email="ana@example.org", **kwargs):
    sign(petition, email, **kwargs)
    message = Message.objects.filter(
        to_digest=email_digest(email), template="signing/email/confirm"
    ).latest("id")
    token = message.context["confirm_url"].rstrip("/").rsplit("/", 1)[-1]
    return services.confirm(raw_token=token)


def my_data_path(message: Message) -> str:
    """The path of the "my data" link at the end of a rendered e-mail."""
    body = render(message).body
    url = next(line for line in body.splitlines() if "/my-data/" in line).strip()
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert path.startswith(("en/my-data/", "es/my-data/")), url
    return "/" + path


def token_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def page_path(email: str, language: str = "en") -> str:
    with translation.override(language):
        return reverse("my_data", args=[links.token_for(email)])
