from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outcry.campaigns.models import Organisation, Role
from outcry.privacy.fields import EncryptedTextField


class AuditEntry(models.Model):
    """Who did what, when, in an organisation's workspace. Append-only."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="audit")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    verb = models.CharField(_("what"), max_length=60)
    subject = models.CharField(_("on"), max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self):
        return f"{self.user} {self.verb} {self.subject}"


class Delivery(models.Model):
    """A delivery packet handed or e-mailed to a target: the verified count, on a date."""

    petition = models.ForeignKey(
        "campaigns.Petition",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    action = models.ForeignKey(
        "actions.UrgentAction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    target = models.ForeignKey("campaigns.Target", on_delete=models.PROTECT, related_name="+")
    sent_to = models.EmailField(_("e-mailed to"), blank=True)
    count = models.PositiveIntegerField(_("verified count"))
    by_country = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("delivered"), default=timezone.now)
    message = models.OneToOneField(
        "outbox.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.CheckConstraint(
                condition=Q(petition__isnull=False, action__isnull=True)
                | Q(petition__isnull=True, action__isnull=False),
                name="delivery_of_one_campaign",
            )
        ]

    def __str__(self):
        return f"{self.count} to {self.target}"


class Invitation(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    token_hash = models.CharField(  # noqa: DJ001  (NULL once used, unique while live)
        max_length=64, null=True, unique=True, editable=False
    )
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=["owner", "editor", "moderator"]),
                name="invitation_role_valid",
            )
        ]

    def __str__(self):
        return f"{self.email} ({self.role}) to {self.organisation}"


class TwoFactor(models.Model):
    """A user's authenticator app (TOTP, RFC 6238), stored once confirmed with a code.

    The secret must be readable to check codes, so it cannot be hashed like the
    recovery codes; it is encrypted at rest instead (ENCRYPTION_KEYS, like
    supporters' data), so a database dump or backup cannot mint codes.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="two_factor",
    )
    secret = EncryptedTextField(editable=False)
    # The newest 30-second time step a code was accepted for: a code (and any older
    # one) is refused afterwards, so one overheard code never logs in twice.
    last_step = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("turned on"), default=timezone.now)

    class Meta:
        verbose_name = _("two-factor authentication")
        verbose_name_plural = _("two-factor authentications")

    def __str__(self):
        return f"two-factor for {self.user}"


class RecoveryCode(models.Model):
    """A single-use code that stands in for the authenticator app; only its hash is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64, editable=False)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="one_recovery_code_per_hash")
        ]

    def __str__(self):
        return f"recovery code of {self.user}"
