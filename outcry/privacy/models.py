"""What a supporter agreed to and when, who must not be mailed, and what retention did.

`ConsentText` and `ConsentLog` are append-only: triggers (migration 0002) make
the database refuse UPDATE on both and DELETE on the log, on SQLite and
PostgreSQL alike. A withdrawal is a new row, never a change to an old one.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ConsentKind(models.TextChoices):
    SIGNING = "signing", _("Signing a petition")
    UPDATES = "updates", _("Updates on a petition")
    SHOW_NAME = "show_name", _("Showing the name")
    CASE_UPDATES = "case_updates", _("Updates on an urgent action")


class ConsentText(models.Model):
    """The stored copy of one version of a consent text in one language (see consent.py)."""

    kind = models.CharField(_("kind"), max_length=16, choices=ConsentKind.choices)
    version = models.CharField(_("version"), max_length=20)
    language = models.CharField(_("language"), max_length=8)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        ordering = ["kind", "-version", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "version", "language"], name="one_consent_text_per_version"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ConsentKind.values), name="consent_text_kind_valid"
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        """What exports print: kind, version and language, e.g. `signing-2026-11-es`."""
        return f"{self.kind}-{self.version}-{self.language}"


class ConsentLog(models.Model):
    """One consent given or withdrawn. Holds the address's digest, never the address."""

    class Record(models.TextChoices):
        SIGNATURE = "signature", _("signature")
        REPORT = "report", _("action report")

    class Via(models.TextChoices):
        FORM = "form", _("the form")
        LINK = "link", _("a link in an e-mail")
        MY_DATA = "my_data", _("the “my data” page")
        ERASURE = "erasure", _("erasure")
        BACKFILL = "backfill", _("recorded for earlier supporters")

    text = models.ForeignKey(
        ConsentText, on_delete=models.PROTECT, related_name="+", verbose_name=_("text")
    )
    given = models.BooleanField(_("given"), help_text=_("Unticked: withdrawn."))
    email_digest = models.CharField(_("address digest"), max_length=64, db_index=True)
    # No foreign key: the record may be withdrawn or deleted later, the history stays.
    record = models.CharField(_("record"), max_length=16, choices=Record.choices)
    record_id = models.BigIntegerField(_("record number"))
    via = models.CharField(_("via"), max_length=16, choices=Via.choices)
    created_at = models.DateTimeField(_("when"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("consent log entry")
        verbose_name_plural = _("consent log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["record", "record_id"], name="consent_by_record")]

    def __str__(self):
        what = "given" if self.given else "withdrawn"
        return f"{self.text} {what} ({self.record} {self.record_id})"


class DoNotContact(models.Model):
    """An address whose owner erased their data: Outcry mails it only what they ask for.

    Only the keyed digest is kept, so the list itself names no one.
    """

    email_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("do-not-contact entry")
        verbose_name_plural = _("do-not-contact list")

    def __str__(self):
        return self.email_digest[:12]


class RetentionRun(models.Model):
    """What one retention run did: counts only."""

    ran_at = models.DateTimeField(_("ran at"), default=timezone.now)
    signatures_anonymised = models.PositiveIntegerField(_("signatures made anonymous"), default=0)
    reports_anonymised = models.PositiveIntegerField(_("action reports made anonymous"), default=0)
    batches_anonymised = models.PositiveIntegerField(_("letter batches made anonymous"), default=0)
    signatures_deleted = models.PositiveIntegerField(_("unconfirmed signatures deleted"), default=0)
    batches_deleted = models.PositiveIntegerField(
        _("unconfirmed letter batches deleted"), default=0
    )

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-ran_at"]

    def __str__(self):
        return f"retention {self.ran_at:%Y-%m-%d %H:%M}"

    @property
    def total(self) -> int:
        return (
            self.signatures_anonymised
            + self.reports_anonymised
            + self.batches_anonymised
            + self.signatures_deleted
            + self.batches_deleted
        )
