"""Workspace addresses of webhooks, for the access test."""

from outcry.webhooks.models import Delivery, Endpoint


def _endpoint(w) -> Endpoint:
    return Endpoint.objects.create(
        organisation=w["org"], url="https://crm.example.org/outcry", events=["ping"]
    )


def _delivery(w) -> dict:
    delivery = Delivery.objects.create(endpoint=_endpoint(w), event="ping", state="failed")
    return {"pk": delivery.endpoint_id, "delivery": delivery.pk}


ARGS = {
    "webhooks": lambda w: {},
    "webhook": lambda w: {"pk": _endpoint(w).pk},
    "webhook_delete": lambda w: {"pk": _endpoint(w).pk},
    "webhook_secret": lambda w: {"pk": _endpoint(w).pk},
    "webhook_ping": lambda w: {"pk": _endpoint(w).pk},
    "webhook_redeliver": _delivery,
}
