from datetime import timedelta

import pytest
from django.utils import timezone

from outcry.outbox import services
from outcry.outbox.models import Message
from outcry.outbox.services import LEASE, claim, deliver_due
from tests.outbox.builders import queued, signed_up

pytestmark = pytest.mark.django_db


def test_message_of_a_killed_worker_is_sent_once_its_lease_expires(smtp, time_machine):
    t0 = timezone.now().replace(microsecond=0)
    time_machine.move_to(t0, tick=False)
    message = signed_up()
    (claimed,) = claim()  # a worker takes it, then dies before sending

    assert claimed.pk == message.pk
    assert deliver_due() == 0, "another worker took a message under a live lease"
    time_machine.shift(LEASE - timedelta(seconds=1))
    assert deliver_due() == 0
    assert smtp.received == []

    time_machine.shift(timedelta(seconds=1))
    assert deliver_due() == 1
    assert deliver_due() == 0
    assert smtp.message_ids() == [f"<outbox-{message.pk}@127.0.0.1>"]
    message.refresh_from_db()
    assert message.state == Message.State.SENT


def test_claim_leases_only_due_unleased_queued_messages():
    due, later, sent = queued(3)
    now = timezone.now()
    Message.objects.filter(pk=later.pk).update(next_attempt_at=now + timedelta(minutes=1))
    Message.objects.filter(pk=sent.pk).update(state=Message.State.SENT)

    assert [m.pk for m in claim(now=now)] == [due.pk]
    assert claim(now=now) == []
    assert Message.objects.get(pk=due.pk).leased_until == now + LEASE


def test_claim_takes_no_more_than_its_limit_oldest_first():
    messages = queued(5)

    assert [m.pk for m in claim(limit=2)] == [m.pk for m in messages[:2]]
    assert [m.pk for m in claim(limit=10)] == [m.pk for m in messages[2:]]


def test_slow_server_makes_worker_hand_back_the_rest_before_its_lease_ends(smtp, monkeypatch):
    # Each message takes the server 100 s (on a fake clock): after three of them
    # the lease has too little left, so the worker stops rather than let a second
    # worker claim and send the same messages.
    clock = [0.0]
    monkeypatch.setattr(services, "monotonic", lambda: clock[0])

    def slow(message):
        clock[0] += 100

    smtp.handler.on_data = slow
    messages = queued(5)

    assert deliver_due() == 3

    rest = Message.objects.filter(pk__in=[m.pk for m in messages[3:]])
    assert [(m.state, m.attempts, m.leased_until) for m in rest] == [
        (Message.State.QUEUED, 0, None)
    ] * 2
    assert deliver_due() == 2
    assert sorted(smtp.message_ids()) == sorted(f"<outbox-{m.pk}@127.0.0.1>" for m in messages)
