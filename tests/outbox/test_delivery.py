import re

import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from outcry.outbox.models import Message
from outcry.outbox.services import deliver_due
from outcry.signing.models import Signature
from outcry.signing.services import confirm
from tests import factories
from tests.outbox.builders import signed_up

pytestmark = pytest.mark.django_db


def body_of(envelope) -> str:
    return envelope.message.get_content()


def test_deliver_due_sends_confirmation_over_smtp(smtp, time_machine):
    now = timezone.now().replace(microsecond=0)
    time_machine.move_to(now, tick=False)
    petition = factories.petition(title="Free the Lima Nine")
    message = signed_up(petition=petition, name="Ana Torres", email="ana@example.org")

    assert deliver_due() == 1

    (envelope,) = smtp.received
    assert envelope.rcpt_tos == ["ana@example.org"]
    assert str(envelope.message["To"]) == "ana@example.org"
    assert str(envelope.message["Subject"]) == "Confirm your signature: Free the Lima Nine"
    body = body_of(envelope)
    assert body.startswith("Hello Ana Torres,")
    assert "Thank you for signing “Free the Lima Nine”" in body
    assert f"{settings.SITE_URL}/en/confirm/" in body
    assert str(envelope.message["Message-ID"]) == f"<outbox-{message.pk}@127.0.0.1>"
    message.refresh_from_db()
    assert message.state == Message.State.SENT
    assert message.sent_at == now
    assert message.attempts == 1
    assert message.leased_until is None


def test_confirmation_link_as_delivered_confirms_the_signature(smtp):
    signed_up(email="ana@example.org")
    deliver_due()

    token = re.search(r"/en/confirm/([^/\s]+)/", body_of(smtp.received[0])).group(1)

    assert confirm(raw_token=token) is not None
    assert factories.signature_of("ana@example.org").state == Signature.State.CONFIRMED


def test_sent_message_is_not_sent_again(smtp):
    signed_up()
    assert deliver_due() == 1

    assert deliver_due() == 0
    assert len(smtp.received) == 1


def test_deliver_due_sends_confirmation_in_spanish(smtp):
    petition = factories.petition(title="Libertad para los nueve de Lima")
    signed_up(petition=petition, name="Ana Torres", language="es")

    deliver_due()

    (envelope,) = smtp.received
    with translation.override("es"):
        subject = gettext("Confirm your signature: %(petition_title)s") % {
            "petition_title": petition.title
        }
        greeting = gettext("Hello %(name)s,") % {"name": "Ana Torres"}
    assert subject != f"Confirm your signature: {petition.title}", "no Spanish translation"
    assert str(envelope.message["Subject"]) == subject
    body = body_of(envelope)
    assert body.startswith(greeting)
    assert f"{settings.SITE_URL}/es/confirm/" in body


def test_spanish_confirmation_links_to_spanish_pages(smtp):
    signed_up(language="es")

    deliver_due()

    assert f"{settings.SITE_URL}/es/confirm/" in body_of(smtp.received[0])


def test_message_id_is_a_valid_id_for_an_ipv6_site(smtp, settings):
    settings.SITE_URL = "http://[::1]:8000"
    message = signed_up()

    deliver_due()

    assert str(smtp.received[0].message["Message-ID"]) == f"<outbox-{message.pk}@[::1]>"


def test_login_refused_by_server_keeps_mail_queued(smtp_with_auth):
    message = signed_up()

    assert deliver_due() == 0

    message.refresh_from_db()
    assert message.state == Message.State.QUEUED
    assert message.attempts == 1
    assert "535" in message.last_error
    assert message.next_attempt_at > timezone.now()
