from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from outcry.campaigns.models import Petition, ScopedQuerySet


class NameDisplay(models.TextChoices):
    FULL = "full", _("My full name")
    SHORT = "short", _("My first name and initial")
    ANONYMOUS = "anonymous", _("Anonymous")


class Signature(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for e-mail confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        # Marked silently by the worker's fraud rules: the signer is never told.
        FRAUDULENT = "fraudulent", _("Fraudulent")
        # Removed by an organiser's bulk invalidation (undoable).
        INVALIDATED = "invalidated", _("Invalidated")

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="signatures")
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("e-mail"))
    email_canonical = models.CharField(max_length=254, editable=False)
    country = CountryField(_("country"))
    postcode = models.CharField(_("postcode"), max_length=16, blank=True)
    name_display = models.CharField(
        _("how my name appears"), max_length=16, choices=NameDisplay.choices
    )
    wants_updates = models.BooleanField(_("wants updates"), default=False)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    # NULL once used: unique among live tokens, and no empty string to collide on.
    token_hash = models.CharField(  # noqa: DJ001
        max_length=64, null=True, unique=True, editable=False
    )
    token_expires_at = models.DateTimeField(null=True, editable=False)
    created_at = models.DateTimeField(_("signed"), default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, editable=False)
    # A keyed hash of the signer's IP (HMAC with SECRET_KEY): enough to see a burst
    # from one address, never the address itself.
    ip_hash = models.CharField(max_length=64, blank=True, editable=False)
    referrer = models.CharField(_("came from"), max_length=200, blank=True, editable=False)
    utm_source = models.CharField(max_length=100, blank=True, editable=False)
    # Bumped by every change the API's `modified_date` filter must see (OSDI sync).
    modified_at = models.DateTimeField(auto_now=True, db_index=True, editable=False)
    # Set once the worker has run the fraud rules on it.
    checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    invalidation = models.ForeignKey(
        "fraud.Invalidation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signatures",
        editable=False,
    )

    class Objects(ScopedQuerySet):
        organisation_path = "petition__organisation"

        def confirmed(self):
            return self.filter(state=Signature.State.CONFIRMED)

    objects = Objects.as_manager()

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "email_canonical"], name="one_signature_per_email"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "confirmed", "fraudulent", "invalidated"]),
                name="signature_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(state="confirmed", confirmed_at__isnull=False)
                | Q(state="pending", confirmed_at__isnull=True)
                | Q(state__in=["fraudulent", "invalidated"]),
                name="signature_confirmed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(state="invalidated", invalidation__isnull=False)
                | ~Q(state="invalidated"),
                name="signature_invalidated_by_record",
            ),
        ]
        indexes = [
            # The public signer list: a petition's confirmed signatures, newest first.
            models.Index(
                fields=["petition", "-confirmed_at", "-id"],
                condition=Q(state="confirmed"),
                name="signature_public_list",
            ),
            # The worker's fraud check walks unchecked signatures in id order.
            models.Index(
                fields=["id"], condition=Q(checked_at__isnull=True), name="signature_unchecked"
            ),
            # Rate rules and reports look at recent signatures by IP hash and by domain.
            models.Index(fields=["petition", "ip_hash", "created_at"], name="signature_by_ip"),
            # Update mailings walk opted-in signers in id order.
            models.Index(
                fields=["petition", "id"],
                condition=Q(state="confirmed", wants_updates=True),
                name="signature_update_list",
            ),
        ]

    def __str__(self):
        return f"{self.name} on {self.petition}"

    @property
    def public_name(self) -> str:
        """The name as the signer chose to show it: never more than that."""
        if self.name_display == NameDisplay.FULL:
            return self.name
        if self.name_display == NameDisplay.SHORT:
            parts = self.name.split()
            if len(parts) > 1:
                return f"{parts[0]} {parts[-1][0]}."
            return parts[0] if parts else ""
        return str(_("Anonymous"))


class CountDelta(models.Model):
    """A change to a petition's count, waiting to be added to it by the worker.

    Confirming a signature inserts one of these instead of updating the shared
    petition row, so a burst of signers never queues on a single hot row.
    """

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="+")
    delta = models.SmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.delta:+d} on petition {self.petition_id}"
