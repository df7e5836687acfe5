import re
import signal

import pytest
from django.core.management import call_command

from outcry.campaigns.models import PetitionUpdate
from outcry.outbox.management.commands.worker import next_pause
from outcry.outbox.models import Message
from outcry.signing.services import confirm
from tests import factories
from tests.outbox.builders import queued, signed_up

# The worker closes stale connections each tick, as a long-running process must;
# inside a test's wrapping transaction that would close the test's connection.
pytestmark = pytest.mark.django_db(transaction=True)


def test_worker_once_sends_due_mail_and_counts_confirmed_signatures(smtp):
    petition = factories.petition()
    message = signed_up(petition=petition, email="ana@example.org")

    call_command("worker", once=True)

    (envelope,) = smtp.received
    assert envelope.rcpt_tos == ["ana@example.org"]
    message.refresh_from_db()
    assert message.state == Message.State.SENT
    petition.refresh_from_db()
    assert petition.signature_count == 0, "counted before the signer confirmed"

    token = re.search(r"/confirm/([^/\s]+)/", envelope.message.get_content()).group(1)
    confirm(raw_token=token)
    call_command("worker", once=True)

    petition.refresh_from_db()
    assert petition.signature_count == 1


def test_worker_once_drains_more_than_one_batch(smtp):
    queued(120)  # deliver_due takes 50 at a time

    call_command("worker", once=True)

    assert len(smtp.received) == 120
    assert not Message.objects.exclude(state=Message.State.SENT).exists()


def test_worker_once_applies_count_deltas_of_several_petitions(smtp):
    first, second = factories.petition(), factories.petition()
    for _ in range(3):
        factories.signature(petition=first)
    factories.signature(petition=second)
    factories.signature(petition=second, confirmed=False)

    call_command("worker", once=True)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.signature_count, second.signature_count) == (3, 1)


def test_worker_once_leaves_failed_mail_for_a_later_run(smtp_down):
    message = signed_up()

    call_command("worker", once=True)

    message.refresh_from_db()
    assert message.state == Message.State.QUEUED
    assert message.attempts == 1


def test_worker_once_fails_loudly_when_its_work_fails(smtp, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database away")

    monkeypatch.setattr("outcry.outbox.management.commands.worker.deliver_due", broken)

    with pytest.raises(RuntimeError, match="database away"):
        call_command("worker", once=True)


def test_worker_gives_back_the_signal_handlers_it_took(smtp):
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)

    call_command("worker", once=True)

    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_worker_once_mails_an_update_queued_behind_one_that_mails_nobody(smtp):
    petition = factories.petition()
    signer = factories.signature(petition=petition, wants_updates=True)
    call_command("worker", once=True)  # applies the signature's count first
    PetitionUpdate.objects.create(petition=petition, title="Quiet", body="-", email_signers=False)
    PetitionUpdate.objects.create(petition=petition, title="Loud", body="News.")

    call_command("worker", once=True)

    assert [e.rcpt_tos for e in smtp.received] == [[signer.email]]


def test_the_worker_lets_a_trickle_gather_into_batches_and_a_backlog_go_on_at_once():
    assert next_pause(0) == 1.0  # nothing to do
    assert 0 < next_pause(3) < 1.0  # a few rows: wait a moment for more
    assert next_pause(50) == 0.0  # a batch's worth: more is waiting
