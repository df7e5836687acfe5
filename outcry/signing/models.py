import re
from typing import NamedTuple

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from outcry.campaigns.models import Petition, ScopedQuerySet
from outcry.privacy.fields import EncryptedTextField


class NameDisplay(models.TextChoices):
    FULL = "full", _("My full name")
    SHORT = "short", _("My first name and initial")
    ANONYMOUS = "anonymous", _("Anonymous")


# A signature's id, as the signer list's ?before= and ?after= carry it.
SIGNERS_MARK = re.compile(r"[0-9]{1,18}")


class SignersPage(NamedTuple):
    """One page of a petition's public signer list (Signature.objects.signers_page):
    the signers, and the marks (?after=, ?before=) of the pages of newer and of older
    signers, None where there are none."""

    signers: list
    newer: int | None
    older: int | None


class Signature(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for e-mail confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        # Marked silently by the worker's fraud rules: the signer is never told.
        FRAUDULENT = "fraudulent", _("Fraudulent")
        # Removed by an organiser's bulk invalidation (undoable).
        INVALIDATED = "invalidated", _("Invalidated")

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="signatures")
    # Personal data is encrypted at rest; the digests beside it are what queries use.
    name = EncryptedTextField(_("name"), max_length=100)
    email = EncryptedTextField(_("e-mail"), max_length=254)
    # HMAC of the canonical address: one signature per mailbox per petition. NULL
    # once a signer's data is erased, so the same person may sign again.
    email_digest = models.CharField(max_length=64, null=True, editable=False)  # noqa: DJ001
    # HMAC of the address's domain: the fraud rules count signatures per domain.
    domain_digest = models.CharField(max_length=64, blank=True, editable=False)
    country = CountryField(_("country"))
    postcode = EncryptedTextField(_("postcode"), max_length=16, blank=True)
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
    # A keyed hash of the signer's IP (HMAC with SECRET_KEY), encrypted: an IPv4
    # hash can be reversed by trying every address, by whoever holds SECRET_KEY.
    ip_hash = EncryptedTextField(max_length=64, blank=True, editable=False)
    # The digest of ip_hash under LOOKUP_KEY: what the fraud rules and the hourly
    # report group by, to see a burst from one address without knowing the address.
    ip_digest = models.CharField(max_length=64, blank=True, editable=False)
    referrer = models.CharField(_("came from"), max_length=200, blank=True, editable=False)
    utm_source = models.CharField(max_length=100, blank=True, editable=False)
    # The e-mail domain was a throwaway one (outcry.fraud.disposable) when they signed:
    # judged once, so the rules and the report agree whatever the list says later.
    disposable_domain = models.BooleanField(default=False, editable=False)
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

        def signers_page(self, petition, *, size: int, before=None, after=None) -> "SignersPage":
            """`size` of a petition's confirmed signers, newest first: the newest, or those
            just older than the signature of id `before`, or just newer than `after`.

            Keyset paging on the public list's index: every page costs the same at any
            depth. A page number would make the database step over all the rows before
            it: a quarter of a second for the last page of a million on PostgreSQL, and
            a crawler following the pager asks for every page. A mark that is not one of
            the petition's confirmed signatures (erased since, say), or a page that would
            be empty or short at the top, gives the newest.
            """
            rows = self.confirmed().filter(petition=petition).only("name", "name_display")
            newest_first = ("-confirmed_at", "-id")
            mark = before or after or ""
            marked = (
                rows.filter(pk=int(mark)).values_list("confirmed_at", "id").first()
                if SIGNERS_MARK.fullmatch(mark)
                else None
            )
            if marked and before:
                at, pk = marked
                older = rows.filter(confirmed_at__lte=at).exclude(confirmed_at=at, id__gte=pk)
                page = list(older.order_by(*newest_first)[: size + 1])
                if signers := page[:size]:
                    return SignersPage(
                        signers,
                        newer=signers[0].pk,
                        older=signers[-1].pk if len(page) > size else None,
                    )
            if marked and not before:
                at, pk = marked
                newer = rows.filter(confirmed_at__gte=at).exclude(confirmed_at=at, id__lte=pk)
                page = list(newer.order_by("confirmed_at", "id")[: size + 1])
                if len(page) > size:  # newer ones above it still: a page in the middle
                    signers = page[:size][::-1]
                    return SignersPage(signers, newer=signers[0].pk, older=signers[-1].pk)
            page = list(rows.order_by(*newest_first)[: size + 1])
            signers = page[:size]
            return SignersPage(
                signers, newer=None, older=signers[-1].pk if len(page) > size else None
            )

    objects = Objects.as_manager()

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "email_digest"], name="one_signature_per_email"
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
            # Rate rules and reports look at recent signatures by IP and by domain.
            models.Index(fields=["petition", "ip_digest", "created_at"], name="signature_by_ip"),
            models.Index(
                fields=["petition", "domain_digest", "created_at"], name="signature_by_domain"
            ),
            # The burst rule and the report count a petition's recent throwaway addresses.
            models.Index(
                fields=["petition", "created_at"],
                condition=Q(disposable_domain=True),
                name="signature_disposable",
            ),
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
