from datetime import timedelta

import pytest
from django.utils import timezone

from outcry.outbox.models import Message
from outcry.outbox.services import MAX_ATTEMPTS, deliver_due
from tests.outbox.builders import queued, signed_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def t0(time_machine):
    now = timezone.now().replace(microsecond=0)
    time_machine.move_to(now, tick=False)
    return now


def test_server_down_keeps_mail_queued_and_sends_it_once_after_back_off(
    smtp_down, t0, time_machine
):
    message = signed_up()

    assert deliver_due() == 0

    message.refresh_from_db()
    assert message.state == Message.State.QUEUED
    assert message.attempts == 1
    assert message.next_attempt_at == t0 + timedelta(minutes=1)
    assert message.leased_until is None
    assert "Connection refused" in message.last_error

    smtp_down.start()
    time_machine.shift(timedelta(seconds=59))
    assert deliver_due() == 0, "sent before its back-off was over"
    assert smtp_down.received == []

    time_machine.shift(timedelta(seconds=1))
    assert deliver_due() == 1
    assert deliver_due() == 0
    assert len(smtp_down.received) == 1
    message.refresh_from_db()
    assert message.state == Message.State.SENT
    assert message.attempts == 2
    assert message.last_error == ""


def test_back_off_doubles_with_each_failure(smtp_down, t0, time_machine):
    message = signed_up()
    waits = []
    for _ in range(4):
        deliver_due()
        message.refresh_from_db()
        waits.append(message.next_attempt_at - timezone.now())
        time_machine.move_to(message.next_attempt_at, tick=False)

    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert message.attempts == 4


def try_whenever_due(message, time_machine, *, until):
    """Run the worker each time the message falls due, until `until` or it leaves the queue."""
    for _ in range(100):  # a bound, so a broken back-off fails the test instead of hanging it
        if message.state != Message.State.QUEUED or message.next_attempt_at > until:
            return
        time_machine.move_to(message.next_attempt_at, tick=False)
        deliver_due()
        message.refresh_from_db()
    raise AssertionError("still retrying after 100 tries")


def test_outage_of_two_days_loses_no_mail(smtp_down, t0, time_machine):
    message = signed_up()

    try_whenever_due(message, time_machine, until=t0 + timedelta(days=2))

    assert message.state == Message.State.QUEUED
    assert message.attempts > 10
    smtp_down.start()
    time_machine.move_to(message.next_attempt_at, tick=False)
    assert deliver_due() == 1
    assert len(smtp_down.received) == 1


def test_gives_up_after_about_three_days_of_failures(smtp_down, t0, time_machine):
    message = signed_up()

    try_whenever_due(message, time_machine, until=t0 + timedelta(days=30))

    assert message.state == Message.State.FAILED
    assert message.attempts == MAX_ATTEMPTS
    last_try = timezone.now()
    assert timedelta(days=3) <= last_try - t0 < timedelta(days=4)


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_permanent_refusal_stops_retries(smtp, stage, t0, time_machine):
    setattr(smtp.handler, f"{stage}_reply", "550 5.1.1 Mailbox unavailable")
    message = signed_up()

    assert deliver_due() == 0

    message.refresh_from_db()
    assert message.state == Message.State.FAILED
    assert message.attempts == 1
    assert "550" in message.last_error
    assert "Mailbox unavailable" in message.last_error

    setattr(smtp.handler, f"{stage}_reply", None)
    time_machine.shift(timedelta(days=7))
    assert deliver_due() == 0
    assert smtp.received == []
    message.refresh_from_db()
    assert message.attempts == 1


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_temporary_refusal_keeps_mail_queued_for_retry(smtp, stage, t0, time_machine):
    setattr(smtp.handler, f"{stage}_reply", "451 4.3.0 Try again later")
    message = signed_up()

    assert deliver_due() == 0

    message.refresh_from_db()
    assert message.state == Message.State.QUEUED
    assert message.attempts == 1
    assert "451" in message.last_error
    assert message.next_attempt_at == t0 + timedelta(minutes=1)

    setattr(smtp.handler, f"{stage}_reply", None)
    time_machine.shift(timedelta(minutes=1))
    assert deliver_due() == 1
    assert len(smtp.received) == 1


def test_permanent_refusal_of_one_message_does_not_hold_up_the_others(smtp):
    first, second = queued(2)
    smtp.handler.refused[first.to] = "550 5.1.1 No such user"

    assert deliver_due() == 1

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (Message.State.FAILED, Message.State.SENT)
    assert [e.rcpt_tos for e in smtp.received] == [[second.to]]


def test_refused_sender_address_defers_mail_instead_of_dropping_it(smtp, t0):
    smtp.handler.mail_reply = "553 5.7.1 Sender address rejected: not owned by you"
    message = signed_up()

    assert deliver_due() == 0

    message.refresh_from_db()
    assert message.state == Message.State.QUEUED
    assert "553" in message.last_error
    assert message.next_attempt_at == t0 + timedelta(minutes=1)
