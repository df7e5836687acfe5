"""Small builders for outbox tests."""

from outcry.outbox.models import Message
from outcry.outbox.services import enqueue
from outcry.signing.services import sign
from tests import factories


def signed_up(*, petition=None, language: str = "en", **kwargs) -> Message:
    """Sign a petition the way the sign view does; return the confirmation e-mail it queued."""
    petition = petition or factories.petition()
    before = set(Message.objects.values_list("pk", flat=True))
    sign(
        petition=petition,
        name=kwargs.pop("name", "Ana Torres"),
        email=kwargs.pop("email", "ana@example.org"),
        country="PE",
        postcode="",
        name_display="full",
        wants_updates=kwargs.pop("wants_updates", False),
        language=language,
        **kwargs,
    )
    (message,) = Message.objects.exclude(pk__in=before)
    return message


def queued(n: int = 1) -> list[Message]:
    """`n` plain queued e-mails, without building petitions and signatures for each."""
    return [
        enqueue(
            to=f"reader{i}@example.org",
            template="signing/email/already_signed",
            language="en",
            context={"name": f"Reader {i}", "petition_title": "Free them", "petition_url": "/"},
        )
        for i in range(n)
    ]
