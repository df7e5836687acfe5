from collections import Counter

import pytest
from django.conf import settings as django_settings
from django.test import Client

from outcry.campaigns.models import PetitionUpdate
from outcry.outbox.models import Message
from outcry.outbox.services import deliver_due
from outcry.signing.models import Signature
from outcry.signing.services import mail_updates
from tests import factories

pytestmark = pytest.mark.django_db


def update_on(petition, **kwargs) -> PetitionUpdate:
    return PetitionUpdate.objects.create(
        petition=petition, **{"title": "The court heard us", "body": "Good news.", **kwargs}
    )


def path_of(url: str) -> str:
    assert url.startswith(django_settings.SITE_URL)
    return url.removeprefix(django_settings.SITE_URL)


def test_update_mails_only_confirmed_signers_who_opted_in():
    petition = factories.petition()
    opted_in = [factories.signature(petition=petition, wants_updates=True) for _ in range(2)]
    factories.signature(petition=petition, wants_updates=False)
    factories.signature(petition=petition, confirmed=False, wants_updates=True)
    factories.signature(petition=factories.petition(), wants_updates=True)  # another petition
    update_on(petition)

    assert mail_updates() == 2

    assert sorted(Message.objects.values_list("to", flat=True)) == sorted(s.email for s in opted_in)
    assert set(Message.objects.values_list("template", flat=True)) == {"signing/email/update"}


def test_update_mailing_in_batches_mails_each_signer_once():
    petition = factories.petition()
    signers = [factories.signature(petition=petition, wants_updates=True) for _ in range(5)]
    update = update_on(petition)

    assert [mail_updates(batch=2) for _ in range(4)] == [2, 2, 1, 0]

    assert Counter(Message.objects.values_list("to", flat=True)) == Counter(
        s.email for s in signers
    )
    update.refresh_from_db()
    assert update.mailing_done
    assert mail_updates(batch=2) == 0
    assert Message.objects.count() == 5


def test_update_mailing_skips_signers_who_opted_out_midway():
    petition = factories.petition()
    signers = [factories.signature(petition=petition, wants_updates=True) for _ in range(4)]
    update_on(petition)

    mail_updates(batch=2)
    Signature.objects.filter(pk=signers[3].pk).update(wants_updates=False)
    while mail_updates(batch=2):
        pass

    assert sorted(Message.objects.values_list("to", flat=True)) == sorted(
        s.email for s in signers[:3]
    )


def test_update_mail_as_delivered_carries_one_click_unsubscribe(smtp):
    petition = factories.petition(title="Free the Lima Nine")
    signer = factories.signature(petition=petition, wants_updates=True)
    update_on(petition, title="The court heard us")
    mail_updates()

    assert deliver_due() == 1

    (envelope,) = smtp.received
    assert envelope.rcpt_tos == [signer.email]
    assert str(envelope.message["Subject"]) == "The court heard us (Free the Lima Nine)"
    # A long header arrives folded; unfolding leaves the leading space, which is insignificant.
    header = str(envelope.message["List-Unsubscribe"]).strip()
    assert header.startswith(f"<{django_settings.SITE_URL}/en/unsubscribe/")
    assert header.endswith("/>")
    assert str(envelope.message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert header[1:-1] in envelope.message.get_content()


@pytest.fixture
def unsubscribe_url(smtp):
    """A signer who opted in, and the unsubscribe URL of the update mail they got."""
    signer = factories.signature(petition=factories.petition(), wants_updates=True)
    update_on(signer.petition)
    mail_updates()
    deliver_due()
    url = str(smtp.received[0].message["List-Unsubscribe"]).strip().removeprefix("<")
    return signer, path_of(url.removesuffix(">"))


def test_one_click_unsubscribe_post_without_csrf_token_stops_updates(unsubscribe_url):
    signer, path = unsubscribe_url
    mail_client = Client(enforce_csrf_checks=True)

    response = mail_client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    signer.refresh_from_db()
    assert signer.wants_updates is False
    assert signer.state == Signature.State.CONFIRMED, "unsubscribing must not withdraw a signature"


def test_unsubscribe_link_opened_only_shows_a_button(unsubscribe_url, client):
    signer, path = unsubscribe_url

    response = client.get(path)

    assert response.status_code == 200
    page = response.content.decode()
    assert '<form method="post">' in page
    assert "<button" in page
    signer.refresh_from_db()
    assert signer.wants_updates is True


def test_unsubscribe_with_a_forged_token_changes_nothing(unsubscribe_url, client):
    signer, path = unsubscribe_url
    forged = path.rstrip("/") + "x/"

    response = client.post(forged)

    assert response.status_code == 404
    signer.refresh_from_db()
    assert signer.wants_updates is True


def test_signer_who_unsubscribed_gets_no_further_updates(unsubscribe_url, client):
    signer, path = unsubscribe_url
    client.post(path)
    update_on(signer.petition, title="Another hearing")

    assert mail_updates() == 0
    assert len(factories.messages_to(signer.email)) == 1
