"""Deliveries through the real worker code path to a real local HTTP receiver."""

import json
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from outcry.organiser.models import AuditEntry
from outcry.outbox.services import LEASE, MAX_ATTEMPTS, claim
from outcry.signing.services import confirm
from outcry.webhooks import services
from outcry.webhooks.models import Delivery, Endpoint
from tests import factories
from tests.outbox.builders import signed_up
from tests.outbox.conftest import free_port
from tests.webhooks.conftest import documented_verify

pytestmark = pytest.mark.django_db


# The worker command closes stale connections each tick, which would close the
# connection of a test's wrapping transaction.
@pytest.mark.django_db(transaction=True)
def test_confirmed_signature_reaches_the_receiver_signed_and_without_personal_data(
    org, endpoint, receiver
):
    petition = factories.petition(org=org)
    message = signed_up(petition=petition, name="Ana Torres", email="ana@example.org")
    signature = petition.signatures.get()
    confirm(raw_token=re.search(r"/confirm/([^/]+)/", message.context["confirm_url"]).group(1))

    call_command("worker", once=True)

    (request,) = receiver.requests
    assert request.path == "/hooks/outcry"
    assert request.headers["Outcry-Event"] == "signature.confirmed"
    assert request.headers["Content-Type"] == "application/json"
    assert documented_verify()(endpoint.secret, request.headers["Outcry-Signature"], request.body)
    assert not documented_verify()("whsec_wrong", request.headers["Outcry-Signature"], request.body)
    message = json.loads(request.body)
    delivery = Delivery.objects.get()
    assert message["id"] == request.headers["Idempotency-Key"] == str(delivery.key)
    assert message["type"] == "signature.confirmed"
    assert message["data"]["campaign"]["slug"] == petition.slug
    assert message["data"]["signature"]["id"] == signature.pk
    assert message["data"]["signature"]["country"] == "PE"
    for private in (b"ana@example.org", b"Ana", b"Torres"):
        assert private not in request.body
    assert (delivery.state, delivery.attempts, delivery.response_code) == ("sent", 1, 200)


def test_a_tampered_body_fails_the_documented_check(endpoint, receiver):
    services.ping(endpoint=endpoint, user=factories.user())
    services.deliver_due()

    (request,) = receiver.requests
    header = request.headers["Outcry-Signature"]
    verify = documented_verify()
    assert verify(endpoint.secret, header, request.body)
    assert not verify(endpoint.secret, header, request.body.replace(b"org-", b"orh-"))


def test_failed_delivery_is_retried_after_back_off_with_the_same_key(
    endpoint, receiver, time_machine
):
    t0 = timezone.now().replace(microsecond=0)
    time_machine.move_to(t0, tick=False)
    receiver.answers = [(500, {})]
    delivery = services.ping(endpoint=endpoint, user=factories.user())

    assert services.deliver_due() == 0
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.response_code) == ("queued", 1, 500)
    assert delivery.last_error.startswith("HTTP 500")
    assert delivery.next_attempt_at == t0 + timedelta(minutes=1)

    time_machine.shift(timedelta(seconds=59))
    assert services.deliver_due() == 0
    assert len(receiver.requests) == 1

    time_machine.shift(timedelta(seconds=1))
    assert services.deliver_due() == 1
    first, second = receiver.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.body == second.body
    assert first.headers["Outcry-Signature"] != second.headers["Outcry-Signature"]  # each try's t
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.response_code) == ("sent", 2, 200)
    assert delivery.last_error == ""


def test_receiver_that_never_answers_2xx_is_given_up_after_the_last_try(
    endpoint, receiver, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    receiver.answers = [(503, {})] * MAX_ATTEMPTS
    delivery = services.ping(endpoint=endpoint, user=factories.user())

    for _ in range(MAX_ATTEMPTS):
        services.deliver_due()
        time_machine.shift(timedelta(hours=6))

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    assert services.deliver_due() == 0
    assert len(receiver.requests) == MAX_ATTEMPTS


def test_gone_switches_the_endpoint_off_and_says_so_in_the_audit_log(org, endpoint, receiver):
    receiver.answers = [(410, {})]
    first = services.ping(endpoint=endpoint, user=factories.user())
    second = services.ping(endpoint=endpoint, user=factories.user())

    services.deliver_due()

    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_reason == "410 Gone"
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.state, first.response_code) == ("failed", 410)
    assert second.state == "failed" and "switched off" in second.last_error
    assert len(receiver.requests) == 1
    entry = AuditEntry.objects.get(organisation=org, verb="webhook switched off")
    assert entry.user is None and entry.subject == endpoint.url


def test_redirect_is_not_followed_but_retried(endpoint, receiver):
    receiver.answers = [(302, {"Location": "http://169.254.169.254/latest/meta-data/"})]
    delivery = services.ping(endpoint=endpoint, user=factories.user())

    assert services.deliver_due() == 0

    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.response_code) == ("queued", 302)
    assert "169.254.169.254" in delivery.last_error and "not followed" in delivery.last_error


def test_receiver_that_is_away_leaves_the_delivery_queued(org):
    # A port nothing listens on (closing a running receiver's socket may reset instead).
    away = f"http://127.0.0.1:{free_port()}/hook"
    endpoint = Endpoint.objects.create(organisation=org, url=away, events=["ping"])
    delivery = services.ping(endpoint=endpoint, user=factories.user())

    assert services.deliver_due() == 0

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.response_code) == ("queued", 1, None)
    assert "Connection refused" in delivery.last_error, delivery.last_error


def test_delivery_claimed_by_a_worker_that_died_goes_out_after_its_lease(
    endpoint, receiver, time_machine
):
    t0 = timezone.now().replace(microsecond=0)
    time_machine.move_to(t0, tick=False)
    delivery = services.ping(endpoint=endpoint, user=factories.user())
    claim(model=Delivery)  # a worker takes it, then dies before posting

    assert services.deliver_due() == 0
    time_machine.shift(LEASE)
    assert services.deliver_due() == 1
    (request,) = receiver.requests
    assert request.headers["Idempotency-Key"] == str(delivery.key)


def test_redelivery_sends_the_same_key_again(org, endpoint, receiver):
    owner = factories.user(org=org)
    delivery = services.ping(endpoint=endpoint, user=owner)
    services.deliver_due()

    assert services.redeliver(delivery=delivery, user=owner)
    assert not services.redeliver(delivery=delivery, user=owner), "queued twice"
    services.deliver_due()

    first, second = receiver.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert AuditEntry.objects.filter(organisation=org, verb="redelivered webhook").count() == 1


def test_delivery_of_a_webhook_deleted_after_the_claim_is_dropped_quietly(endpoint, receiver):
    services.ping(endpoint=endpoint, user=factories.user())
    (claimed,) = claim(model=Delivery)
    endpoint.delete()

    assert services.attempt(claimed, now=timezone.now()) == 0

    assert receiver.requests == [] and not Delivery.objects.exists()
