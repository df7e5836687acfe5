"""A worker killed with SIGKILL while a webhook POST is in flight: the delivery
goes out again from another worker once the dead worker's lease has expired,
with the same Idempotency-Key. That is at-least-once delivery; receivers drop a
key they have seen (docs/webhooks.md).

Real `outcry worker` processes against this test database and a real HTTP
receiver that holds the first POST unanswered until the test has killed the
worker that sent it.
"""

import signal

import pytest

from outcry.webhooks import services
from outcry.webhooks.models import Delivery, Endpoint
from tests import factories
from tests.webhooks.conftest import Receiver
from tests.workers import wait_for, worker_processes

pytestmark = pytest.mark.django_db(transaction=True)

LEASE_SECONDS = 2


@pytest.fixture
def start_worker(tmp_path):
    with worker_processes(
        tmp_path, OUTBOX_LEASE_SECONDS=str(LEASE_SECONDS), WEBHOOK_TIMEOUT_SECONDS="20"
    ) as start:
        yield start


def test_webhook_of_a_worker_killed_mid_post_is_delivered_again_after_its_lease(start_worker):
    with Receiver() as receiver:
        receiver.hold = True
        endpoint = Endpoint.objects.create(
            organisation=factories.organisation(), url=receiver.url, events=["ping"]
        )
        delivery = services.ping(endpoint=endpoint, user=factories.user())

        first = start_worker("first")
        wait_for(receiver.held.is_set, seconds=30, what="the first POST", logs=start_worker.logs)
        delivery.refresh_from_db()
        assert delivery.state == Delivery.State.QUEUED
        lease_ends = delivery.leased_until.timestamp()

        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=10) == -signal.SIGKILL
        receiver.release.set()  # the held POST is never answered: not a delivery
        second = start_worker("second")

        wait_for(
            lambda: Delivery.objects.get(pk=delivery.pk).state == Delivery.State.SENT,
            seconds=30,
            what="the second worker to deliver",
            logs=start_worker.logs,
        )
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=15) == 0, start_worker.logs()

    (again,) = receiver.requests
    held = receiver.held_request
    assert held.headers["Idempotency-Key"] == again.headers["Idempotency-Key"] == str(delivery.key)
    assert held.body == again.body
    assert again.at >= lease_ends, "posted again under the dead worker's lease"
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.response_code, delivery.leased_until) == (1, 200, None)
