"""Webhook deliveries: POSTed, signed, by the worker through the outbox's queue code.

Events are queued by outcry.webhooks.events.emit in their cause's transaction.
The worker claims due deliveries with the outbox's leases and back-off.

Delivery is at-least-once: a worker killed after the receiver took a delivery
but before marking it delivered leaves a lease that expires, and the delivery
is sent again with the same Idempotency-Key. Receivers drop a key they have seen.
"""

import hashlib
import hmac
import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from outcry.organiser.services import audit
from outcry.outbox.services import claim, describe, record_failure, record_sent, within_lease
from outcry.webhooks import receivers
from outcry.webhooks.models import PING, Delivery, Endpoint, new_secret

log = logging.getLogger(__name__)

BATCH = 20  # a slow receiver takes up to WEBHOOK_TIMEOUT_SECONDS each; the lease covers it


def body(delivery: Delivery) -> bytes:
    """The JSON posted, the same on every try."""
    return json.dumps(
        {
            "id": str(delivery.key),
            "type": delivery.event,
            "occurred_at": delivery.occurred_at.isoformat(),
            "data": delivery.payload,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def signature(secret: str, timestamp: int, payload: bytes) -> str:
    """The Outcry-Signature header: an HMAC-SHA256 of "<timestamp>.<body>"."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def headers(delivery: Delivery, payload: bytes, *, now) -> dict[str, str]:
    # The timestamp is this try's, so a receiver can refuse old replays, while the
    # Idempotency-Key stays the delivery's own.
    return {
        "Content-Type": "application/json",
        "User-Agent": f"Outcry-Webhooks (+{settings.SITE_URL})",
        "Outcry-Event": delivery.event,
        "Outcry-Signature": signature(delivery.endpoint.secret, int(now.timestamp()), payload),
        "Idempotency-Key": str(delivery.key),
    }


def deliver_due(*, limit: int = BATCH, now=None) -> int:
    """POST what is due; return how many were taken. Errors are recorded, never raised."""
    delivered = 0
    for delivery in within_lease(claim(limit=limit, now=now, model=Delivery)):
        delivered += attempt(delivery, now=now or timezone.now())
    return delivered


def attempt(delivery: Delivery, *, now) -> int:
    try:
        endpoint = delivery.endpoint
    except Endpoint.DoesNotExist:  # deleted, with its deliveries, since the claim
        return 0
    if not endpoint.active:
        record_failure(delivery, "The webhook is switched off.", permanent=True, now=now)
        return 0
    payload = body(delivery)
    try:
        answer = receivers.post(
            endpoint.url, body=payload, headers=headers(delivery, payload, now=now)
        )
    except Exception as exc:  # refused address, DNS, refused connection, timeout, TLS
        record_failure(delivery, describe(exc), now=now, response_code=None)
        return 0
    if 200 <= answer.status < 300:
        record_sent(delivery, now=now, response_code=answer.status)
        return 1
    error = f"HTTP {answer.status}: {answer.text}".strip()
    if answer.status == 410:  # Gone: the receiver says it will never want these again
        with transaction.atomic():
            record_failure(delivery, error, permanent=True, now=now, response_code=410)
            switch_off(endpoint, reason="410 Gone")
    else:
        record_failure(delivery, error, now=now, response_code=answer.status)
    return 0


def switch_off(endpoint: Endpoint, *, reason: str) -> None:
    if Endpoint.objects.filter(pk=endpoint.pk, active=True).update(
        active=False, disabled_reason=reason
    ):
        audit(
            organisation=endpoint.organisation,
            user=None,
            verb="webhook switched off",
            subject=endpoint.url,
            reason=reason,
        )
        log.warning("webhook %s switched off: %s", endpoint.pk, reason)


# The workspace's changes, each with its audit entry.


def save_endpoint(*, endpoint: Endpoint, user) -> Endpoint:
    with transaction.atomic():
        created = endpoint.pk is None
        if endpoint.active:
            endpoint.disabled_reason = ""
        endpoint.save()
        audit(
            organisation=endpoint.organisation,
            user=user,
            verb="created webhook" if created else "edited webhook",
            subject=endpoint.url,
            events=endpoint.events,
            active=endpoint.active,
        )
    return endpoint


def delete_endpoint(*, endpoint: Endpoint, user) -> None:
    with transaction.atomic():
        endpoint.delete()
        audit(
            organisation=endpoint.organisation,
            user=user,
            verb="deleted webhook",
            subject=endpoint.url,
        )


def roll_secret(*, endpoint: Endpoint, user) -> Endpoint:
    with transaction.atomic():
        endpoint.secret = new_secret()
        endpoint.save(update_fields=["secret"])
        audit(
            organisation=endpoint.organisation,
            user=user,
            verb="made a new webhook secret",
            subject=endpoint.url,
        )
    return endpoint


def ping(*, endpoint: Endpoint, user, now=None) -> Delivery:
    """Queue a test event for this endpoint alone, whatever it subscribed to."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = Delivery.objects.create(
            endpoint=endpoint,
            event=PING,
            occurred_at=now,
            next_attempt_at=now,
            payload={"organisation": endpoint.organisation.slug},
        )
        audit(
            organisation=endpoint.organisation,
            user=user,
            verb="sent webhook test",
            subject=endpoint.url,
        )
    return delivery


def redeliver(*, delivery: Delivery, user, now=None) -> bool:
    """Queue a delivered or failed delivery again, with its key; False if it is still queued."""
    with transaction.atomic():
        queued_again = (
            Delivery.objects.filter(pk=delivery.pk)
            .exclude(state=Delivery.State.QUEUED)
            .update(
                state=Delivery.State.QUEUED,
                attempts=0,
                next_attempt_at=now or timezone.now(),
                leased_until=None,
            )
        )
        if queued_again:
            audit(
                organisation=delivery.endpoint.organisation,
                user=user,
                verb="redelivered webhook",
                subject=delivery.endpoint.url,
                event=delivery.event,
                key=str(delivery.key),
            )
    return bool(queued_again)


PRUNE_BATCH = 1000


def prune_deliveries(*, now=None) -> int:
    """Delete delivered and failed deliveries older than WEBHOOK_LOG_DAYS; return how many.

    A queued one is never touched: it is still to be sent. Age counts from the
    last try (a redelivery keeps its row another WEBHOOK_LOG_DAYS): `sent_at` for
    a delivered one; for a failed one `next_attempt_at`, the time its last try
    was due, since a failure does not move it. Batches keep each DELETE short
    while the worker and the site write to the table.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_LOG_DAYS)
    old = Delivery.objects.filter(
        Q(state=Delivery.State.SENT, sent_at__lt=cutoff)
        | Q(state=Delivery.State.FAILED, next_attempt_at__lt=cutoff)
    )
    pruned = 0
    while ids := list(old.values_list("pk", flat=True)[:PRUNE_BATCH]):
        # The state is checked again: a redelivery may have queued one meanwhile.
        pruned += old.filter(pk__in=ids).delete()[0]
        if len(ids) < PRUNE_BATCH:
            break
    if pruned:
        log.info(
            "pruned %s webhook deliveries older than %s days", pruned, settings.WEBHOOK_LOG_DAYS
        )
    return pruned
