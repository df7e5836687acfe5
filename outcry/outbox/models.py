from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from outcry.privacy.fields import EncryptedJSONField, EncryptedTextField


class Queued(models.Model):
    """A row the worker drains: leased while it is tried, retried with back-off.

    E-mail (Message) and webhook deliveries share this shape, so one set of
    claim, lease and back-off functions (outcry.outbox.services) serves both.
    """

    class State(models.TextChoices):
        QUEUED = "queued"
        SENT = "sent"
        FAILED = "failed"

    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    leased_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def backoff(self) -> timedelta:
        """Wait 1, 2, 4 ... minutes between tries, at most six hours."""
        return timedelta(minutes=min(2 ** max(self.attempts - 1, 0), 360))


class Message(Queued):
    """One e-mail waiting to go, written in the same transaction as its cause.

    It holds a template name and context, not rendered text: the worker renders
    it in the recipient's language, which keeps the request that queued it lean.
    """

    # Encrypted like the personal data they come from: mail waits up to three days
    # for its retries, and the context holds names, letters and confirmation links.
    # The local mailbox still shows sent mail, so nothing is wiped after sending.
    to = EncryptedTextField(max_length=254)
    # How erasure finds the mail kept for an address (outcry.privacy.digest).
    to_digest = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    reply_to = EncryptedTextField(max_length=254, blank=True)
    template = models.CharField(max_length=100)
    context = EncryptedJSONField(default=dict)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    headers = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["queued", "sent", "failed"]), name="outbox_state_valid"
            )
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(state="queued"), name="outbox_due")
        ]

    def __str__(self):
        return f"{self.template} to {self.to} ({self.state})"
