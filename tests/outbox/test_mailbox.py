import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from outcry.outbox import services
from outcry.outbox.models import Message
from outcry.outbox.services import deliver_due
from tests import factories
from tests.outbox.builders import signed_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def local_mail(smtp, settings):
    """Local-mail mode, with a real SMTP server listening that must hear nothing."""
    settings.LOCAL_MAIL = True
    return smtp


def test_local_mail_marks_mail_sent_without_smtp(local_mail):
    message = signed_up()

    assert deliver_due() == 1

    message.refresh_from_db()
    assert message.state == Message.State.SENT
    assert message.sent_at is not None
    assert local_mail.received == []


def fail_now(message, *, now=None):
    raise RuntimeError("the database went away")


def test_local_mail_marks_a_batch_sent_together_or_not_at_all(local_mail, monkeypatch):
    first = signed_up(email="ana@example.org")
    second = signed_up(email="luis@example.org")
    # Marking the second one sent fails (what a letter's e-mail does once sent).
    Message.objects.filter(pk=second.pk).update(template="actions/email/letter")
    monkeypatch.setitem(services.ON_SENT, "actions/email/letter", f"{__name__}.fail_now")

    with pytest.raises(RuntimeError):
        deliver_due()

    # The first is not marked sent without the second: both go again after the lease.
    queued = Message.objects.filter(state=Message.State.QUEUED)
    assert set(queued.values_list("pk", flat=True)) == {first.pk, second.pk}
    monkeypatch.delitem(services.ON_SENT, "actions/email/letter")
    assert deliver_due(now=timezone.now() + services.LEASE) == 2


def test_mailbox_lists_delivered_mail_by_subject(local_mail, client):
    petition = factories.petition(title="Free the Lima Nine")
    signed_up(petition=petition, email="ana@example.org")
    deliver_due()

    response = client.get("/mailbox/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Confirm your signature: Free the Lima Nine" in page
    assert "ana@example.org" in page


def test_mailbox_shows_no_mail_before_the_worker_delivers_it(local_mail, client):
    signed_up(petition=factories.petition(title="Free the Lima Nine"))

    response = client.get("/mailbox/")

    assert response.status_code == 200
    assert "Free the Lima Nine" not in response.content.decode()


def test_mailbox_message_shows_body_with_confirmation_link(local_mail, client):
    message = signed_up(name="Ana Torres")
    deliver_due()

    response = client.get(f"/mailbox/{message.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Hello Ana Torres," in page
    assert f'href="{django_settings.SITE_URL}/en/confirm/' in page


def test_mailbox_pages_are_404_when_mail_goes_out_by_smtp(smtp, client):
    message = signed_up()
    deliver_due()

    assert client.get("/mailbox/").status_code == 404
    assert client.get(f"/mailbox/{message.pk}/").status_code == 404
    assert len(smtp.received) == 1
