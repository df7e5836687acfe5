"""A worker killed with SIGKILL in the middle of sending: the e-mail goes out
exactly once, from another worker, once the dead worker's lease has expired.

Real `outcry worker` processes against this test database (transactional, so
they see its rows) and a real SMTP server that holds the first message's DATA
unanswered until the test has killed the worker. A server only takes on a
message it has answered 250 to, so the held copy is not a delivery; what is
counted is each Message-ID the server accepted.

The outage of the SMTP server itself (down, then back) is proved in
tests/outbox/test_retries.py::test_server_down_keeps_mail_queued_and_sends_it_once_after_back_off.
"""

import asyncio
import email
import signal
import threading
import time
from email import policy

import pytest

from outcry.outbox.models import Message
from outcry.outbox.services import message_id_domain
from tests.outbox.builders import signed_up
from tests.outbox.conftest import Handler, MailServer, free_port
from tests.workers import wait_for, worker_processes

pytestmark = pytest.mark.django_db(transaction=True)

LEASE_SECONDS = 2


class HoldingHandler(Handler):
    """Holds the first message's DATA without an answer until `release` is set."""

    def __init__(self, received):
        super().__init__(received)
        self.held = threading.Event()
        self.release = threading.Event()
        self.held_ids: list[str] = []
        self.accepted_at: list[float] = []
        self.on_data = lambda message: self.accepted_at.append(time.time())

    async def handle_DATA(self, server, session, envelope):
        if not self.held.is_set():
            message = email.message_from_bytes(envelope.content, policy=policy.default)
            self.held_ids.append(str(message["Message-ID"]))
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "451 4.3.0 Not accepted: the client went away"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp_holding():
    server = MailServer(free_port())
    server.handler = HoldingHandler(server.received)
    server.start()
    yield server
    server.handler.release.set()
    server.stop()


@pytest.fixture
def start_worker(smtp_holding, tmp_path):
    with worker_processes(
        tmp_path,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_holding.port}",
        EMAIL_TIMEOUT="20",
        OUTBOX_LEASE_SECONDS=str(LEASE_SECONDS),
    ) as start:
        yield start


def test_mail_of_a_worker_killed_mid_send_goes_out_exactly_once_after_its_lease(
    smtp_holding, start_worker
):
    message = signed_up()
    message_id = f"<outbox-{message.pk}@{message_id_domain()}>"
    handler = smtp_holding.handler

    first = start_worker("first")
    wait_for(
        handler.held.is_set, seconds=30, what="the first worker's DATA", logs=start_worker.logs
    )
    message.refresh_from_db()
    assert message.state == Message.State.QUEUED
    lease_ends = message.leased_until.timestamp()

    first.send_signal(signal.SIGKILL)
    assert first.wait(timeout=10) == -signal.SIGKILL
    handler.release.set()  # the held DATA is answered 451 to a dead socket: not delivered
    second = start_worker("second")

    wait_for(
        lambda: Message.objects.get(pk=message.pk).state == Message.State.SENT,
        seconds=30,
        what="the second worker to send the message",
        logs=start_worker.logs,
    )
    second.send_signal(signal.SIGTERM)  # finishes its batch, then stops
    assert second.wait(timeout=15) == 0, start_worker.logs()

    assert handler.held_ids == [message_id]
    assert smtp_holding.message_ids() == [message_id], "not delivered exactly once"
    assert handler.accepted_at[0] >= lease_ends, "sent again under the dead worker's lease"
    message.refresh_from_db()
    assert (message.attempts, message.leased_until, message.last_error) == (1, None, "")
