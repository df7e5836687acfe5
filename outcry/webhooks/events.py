"""Queueing webhook events, in the transaction of whatever caused them.

Each event becomes one Delivery row per endpoint subscribed to it, so an event
exists exactly when its cause was committed. This module needs only models, so
any app's services may import it.
"""

from collections.abc import Callable, Iterable

from django.utils import timezone

from outcry.webhooks.models import Delivery, Endpoint


def emit(*, event: str, organisation_ids: Iterable, data: Callable[[], dict], now=None) -> int:
    """Queue `event` for each active endpoint of the organisation(s) that wants it.

    Call it inside the cause's transaction. `organisation_ids` may be a
    `.values("organisation")` queryset (one query in all); `data` builds the
    payload only when someone subscribed.
    """
    endpoints = [
        e
        for e in Endpoint.objects.filter(organisation_id__in=organisation_ids, active=True)
        if e.wants(event)
    ]
    if not endpoints:
        return 0
    payload, now = data(), now or timezone.now()
    Delivery.objects.bulk_create(
        Delivery(
            endpoint=e,
            event=event,
            payload=payload,
            occurred_at=now,
            created_at=now,
            next_attempt_at=now,
        )
        for e in endpoints
    )
    return len(endpoints)
