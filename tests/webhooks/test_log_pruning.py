"""The delivery log keeps delivered and failed deliveries WEBHOOK_LOG_DAYS after their
last try, then the worker's hourly clean-up deletes them; queued ones stay."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from outcry.outbox.services import MAX_ATTEMPTS
from outcry.webhooks import services
from outcry.webhooks.models import Delivery
from tests import factories

pytestmark = pytest.mark.django_db


def test_old_delivered_and_failed_deliveries_are_pruned_but_never_queued_ones(
    settings, endpoint, receiver, time_machine
):
    settings.WEBHOOK_LOG_DAYS = 30
    owner = factories.user()
    time_machine.move_to(timezone.now(), tick=False)
    services.ping(endpoint=endpoint, user=owner)
    redelivered = services.ping(endpoint=endpoint, user=owner)
    services.deliver_due()
    # One the worker gave up on after its last try, due now, as record_failure leaves it.
    Delivery.objects.create(
        endpoint=endpoint,
        event="ping",
        state=Delivery.State.FAILED,
        attempts=MAX_ATTEMPTS,
        next_attempt_at=timezone.now(),
        last_error="HTTP 503",
    )
    # And one the receiver keeps refusing: queued, retried for days.
    receiver.answers = [(503, {})]
    waiting = services.ping(endpoint=endpoint, user=owner)
    services.deliver_due()

    time_machine.shift(timedelta(days=29))
    Delivery.objects.filter(pk=waiting.pk).update(
        next_attempt_at=timezone.now() + timedelta(days=9)  # its next try is days away
    )
    services.redeliver(delivery=Delivery.objects.get(pk=redelivered.pk), user=owner)
    assert services.deliver_due() == 1
    assert services.prune_deliveries() == 0  # nothing is 30 days old yet

    time_machine.shift(timedelta(days=1, seconds=1))
    out = io.StringIO()
    call_command("retention", stdout=out)  # what cron runs; the worker does it hourly
    assert "Deleted 2 webhook deliveries from the log." in out.getvalue()
    assert set(Delivery.objects.values_list("pk", flat=True)) == {redelivered.pk, waiting.pk}

    # Queued ones are kept however old, even with their last try long overdue.
    time_machine.shift(timedelta(days=365))
    Delivery.objects.filter(pk=waiting.pk).update(
        next_attempt_at=timezone.now() - timedelta(days=300)
    )
    assert services.prune_deliveries() == 1
    assert list(Delivery.objects.values_list("pk", "state")) == [(waiting.pk, "queued")]


# The worker closes stale connections each loop: the test cannot sit in a transaction.
@pytest.mark.django_db(transaction=True)
def test_the_worker_prunes_the_log_as_it_starts(endpoint, receiver, time_machine, monkeypatch):
    from outcry.outbox.management.commands.worker import Command

    time_machine.move_to(timezone.now(), tick=False)
    services.ping(endpoint=endpoint, user=factories.user())
    services.deliver_due()
    time_machine.shift(timedelta(days=31))
    worker = Command()
    worker.stopping = False
    # One loop: the first pause stops it.
    monkeypatch.setattr(worker, "sleep", lambda seconds: setattr(worker, "stopping", True))
    worker.run()
    assert not Delivery.objects.exists()
