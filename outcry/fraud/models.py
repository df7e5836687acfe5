from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outcry.campaigns.models import Organisation, ScopedQuerySet
from outcry.privacy.fields import EncryptedTextField


class ListEntry(models.Model):
    """A block or allow entry: an IP range, an e-mail domain or one address."""

    class Kind(models.TextChoices):
        IP_RANGE = "ip_range", _("IP range")
        DOMAIN = "domain", _("E-mail domain")
        ADDRESS = "address", _("E-mail address")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="fraud_list"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # An IP range is kept as a CIDR string, a domain folded (googlemail = gmail), and
    # an address as its digest (outcry.privacy.digest), which signatures are matched by.
    value = models.CharField(_("value"), max_length=254)
    # An address entry's canonical address, encrypted: only to show the organiser.
    address = EncryptedTextField(_("e-mail address"), max_length=254, blank=True)
    allow = models.BooleanField(_("allow (rather than block)"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("block or allow entry")
        verbose_name_plural = _("block and allow list")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "value"], name="one_list_entry_per_value"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["ip_range", "domain", "address"]), name="list_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{'allow' if self.allow else 'block'} {self.kind} {self.shown}"

    @property
    def shown(self) -> str:
        return self.address or self.value


class Invalidation(models.Model):
    """A bulk invalidation of signatures by conditions: audited, and undoable."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invalidations"
    )
    # The conditions as the organiser gave them: campaign, domain, IP range,
    # time window, country, name pattern.
    conditions = models.JSONField(default=dict)
    reason = models.CharField(_("reason"), max_length=300)
    count = models.PositiveIntegerField(_("signatures invalidated"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invalidation")
        verbose_name_plural = _("invalidations")

    def __str__(self):
        return f"{self.count} invalidated: {self.reason}"
