"""Webhooks: an organisation's receivers and the deliveries queued for them."""

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outcry.campaigns.models import Organisation
from outcry.outbox.models import Queued


class Event(models.TextChoices):
    SIGNATURE_CONFIRMED = "signature.confirmed", _("A signature is confirmed")
    ACTION_REPORTED = "action.reported", _("An action is reported (or its report amended)")
    LETTER_SENT = "letter.sent", _("A letter through Outcry is sent")
    CAMPAIGN_CLOSED = "campaign.closed", _("A petition or urgent action is closed")


PING = "ping"  # the test an owner sends from the workspace; nobody subscribes to it


def new_secret() -> str:
    # The prefix lets secret scanners recognise a leaked one.
    return "whsec_" + secrets.token_urlsafe(32)


class Endpoint(models.Model):
    """An address of the organisation's own system that Outcry POSTs events to."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(_("address"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    # Kept readable: signing needs it. It is shown to the owner once, after which
    # only a new one can be made.
    secret = models.CharField(max_length=80, default=new_secret, editable=False)
    active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self):
        return self.url

    def wants(self, event: str) -> bool:
        return self.active and event in self.events

    def event_labels(self) -> list[str]:
        return [label for value, label in Event.choices if value in self.events]


class Delivery(Queued):
    """One event for one endpoint: the queue row, and its line in the delivery log.

    `key` is the Idempotency-Key: the same on every try and on a redelivery, so a
    receiver that sees it twice knows it is a repeat.
    """

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    occurred_at = models.DateTimeField(default=timezone.now)
    payload = models.JSONField(default=dict)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["queued", "sent", "failed"]), name="webhook_state_valid"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(state="queued"), name="webhook_due"
            )
        ]

    def __str__(self):
        return f"{self.event} to {self.endpoint_id} ({self.state})"
