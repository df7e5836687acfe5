from outcry.signing import services
from outcry.signing.models import NameDisplay
from tests import factories


def sign(petition, email, *, ip_hash="", now=None, **kwargs):
    services.sign(
        petition=petition,
        name=kwargs.pop("name", "Ana María Quispe"),
        email=email,
        country=kwargs.pop("country", "PE"),
        postcode="",
        name_display=NameDisplay.FULL,
        wants_updates=False,
        language="en",
        ip_hash=ip_hash,
        now=now,
        **kwargs,
    )


def token_for(email: str) -> str:
    message = factories.messages_to(email)[-1]
    return message.context["confirm_url"].rstrip("/").rsplit("/", 1)[-1]


def counts_are_honest(*petitions) -> None:
    """After the worker aggregates, a recount from scratch finds nothing to correct."""
    services.apply_count_deltas()
    assert services.reconcile() == []
    for p in petitions:
        p.refresh_from_db()
