from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from outcry.campaigns.models import Organisation, ScopedQuerySet, Target
from outcry.campaigns.origins import validate_origins
from outcry.guard.work_factor import max_number_constraint, max_number_field
from outcry.outbox.models import Message
from outcry.privacy.fields import EncryptedTextField


class UrgentActionQuerySet(ScopedQuerySet):
    def published(self, now=None):
        return self.filter(published_at__lte=now or timezone.now())

    def open(self, now=None):
        now = now or timezone.now()
        return self.published(now).exclude(status=UrgentAction.Status.CLOSED)

    def closed(self, now=None):
        return self.published(now).filter(status=UrgentAction.Status.CLOSED)


class UrgentAction(models.Model):
    """A numbered case ("UA 105.22") asking activists to write to officials."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        UPDATED = "updated", _("Updated")
        CLOSED = "closed", _("Closed")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="urgent_actions"
    )
    serial = models.PositiveIntegerField(_("serial number"))
    year = models.PositiveSmallIntegerField(_("year"))
    follows = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("follows the earlier action"),
    )
    headline = models.CharField(_("headline"), max_length=200)
    country = CountryField(_("country"))
    summary = models.TextField(_("summary"))
    people_at_risk = models.CharField(_("people at risk"), max_length=200)
    pronouns = models.CharField(_("their pronouns"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default="open")
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    # When an organiser closed the case: retention counts from here (or the deadline).
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    preferred_language = models.CharField(
        _("language to address the targets in"), max_length=8, choices=settings.LANGUAGES
    )
    take_action = models.TextField(_("what to do (Markdown)"), blank=True)
    background = models.TextField(_("additional information (Markdown)"), blank=True)
    image = models.ImageField(_("image"), upload_to="actions/", blank=True)
    image_alt = models.CharField(_("image description (alt text)"), max_length=300, blank=True)
    image_credit = models.CharField(_("image credit"), max_length=200, blank=True)
    targets = models.ManyToManyField(Target, through="CaseTarget", related_name="urgent_actions")
    # Sites whose pages may show the embed in a frame: its frame-ancestors. Empty: none.
    embed_origins = models.JSONField(
        _("sites allowed to embed it"),
        default=list,
        blank=True,
        validators=[validate_origins],
        help_text=_(
            "One address per line, like https://example.org. Only these sites may show the "
            "sign form and counter in a frame; with none listed, no site may."
        ),
    )
    altcha_max_number = max_number_field()
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    # Set by the worker once activists who asked for updates on the case heard of it.
    followers_told_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Bumped by every change the API's `modified_date` filter must see (OSDI sync).
    modified_at = models.DateTimeField(auto_now=True, db_index=True, editable=False)

    objects = UrgentActionQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("urgent action")
        verbose_name_plural = _("urgent actions")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "serial", "year"], name="one_case_per_number"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "updated", "closed"]), name="ua_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(image="") | ~Q(image_alt=""), name="ua_image_has_alt"
            ),
            models.CheckConstraint(condition=~Q(follows=models.F("id")), name="ua_not_own_follow"),
            max_number_constraint("ua_altcha_max_number_bounded"),
        ]

    def __str__(self):
        return f"{self.number}: {self.headline}"

    def get_absolute_url(self):
        return reverse("action", args=[self.serial, self.year])

    @property
    def number(self) -> str:
        return f"UA {self.serial}.{self.year % 100:02d}"

    def deadline_passed(self, today=None) -> bool:
        return self.deadline is not None and (today or timezone.localdate()) > self.deadline

    def takes_letters(self, today=None) -> bool:
        """Whether Outcry itself still e-mails letters to the targets."""
        return self.status != self.Status.CLOSED and not self.deadline_passed(today)

    def chain(self) -> list["UrgentAction"]:
        """The whole case from its first action, in order (a case is a handful of actions)."""
        first = self
        while first.follows_id:
            first = first.follows
        chain, frontier = [first], [first]
        while frontier:
            children = list(
                UrgentAction.objects.published()
                .filter(follows__in=frontier)
                .order_by("published_at", "id")
            )
            chain += children
            frontier = children
        return chain

    def ordered_targets(self):
        """Its targets, the people written to first, then those who get a copy."""
        copy = models.Case(
            models.When(casetarget__group=CaseTarget.Group.COPY, then=1),
            default=0,
            output_field=models.IntegerField(),
        )
        return self.targets.filter(casetarget__action=self).order_by(
            copy, "casetarget__position", "id"
        )

    def grouped_targets(self):
        links = self.casetarget_set.select_related("target").order_by("group", "position", "id")
        return {
            "targets": [link.target for link in links if link.group == CaseTarget.Group.TARGET],
            "copies": [link.target for link in links if link.group == CaseTarget.Group.COPY],
        }


class CaseTarget(models.Model):
    class Group(models.TextChoices):
        TARGET = "target", _("Write to")
        COPY = "copy", _("Send a copy to")

    action = models.ForeignKey(UrgentAction, on_delete=models.CASCADE)
    target = models.ForeignKey(Target, on_delete=models.PROTECT)
    group = models.CharField(_("group"), max_length=8, choices=Group.choices, default="target")
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("target of the action")
        verbose_name_plural = _("targets of the action")
        constraints = [
            models.UniqueConstraint(fields=["action", "target"], name="target_once_per_case"),
            models.CheckConstraint(
                condition=Q(group__in=["target", "copy"]), name="case_target_group_valid"
            ),
        ]

    def __str__(self):
        return f"{self.target} ({self.get_group_display()})"


class SampleLetter(models.Model):
    action = models.ForeignKey(UrgentAction, on_delete=models.CASCADE, related_name="letters")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(
        _("letter"), help_text=_("Without salutation or signature: the page adds both.")
    )
    call_script = models.TextField(_("what to say on the phone"), blank=True)

    class Meta:
        verbose_name = _("sample letter")
        verbose_name_plural = _("sample letters")
        constraints = [
            models.UniqueConstraint(fields=["action", "language"], name="one_letter_per_language")
        ]

    def __str__(self):
        return f"{self.action.number} ({self.language})"


class LetterBatch(models.Model):
    """An activist's letters to be e-mailed through Outcry, once they confirm their address."""

    action = models.ForeignKey(UrgentAction, on_delete=models.PROTECT, related_name="batches")
    name = EncryptedTextField(_("name"), max_length=100)
    email = EncryptedTextField(_("e-mail"), max_length=254)
    # HMAC of the canonical address: the totals tell one writer from another by it.
    email_digest = models.CharField(max_length=64, null=True, editable=False)  # noqa: DJ001
    country = CountryField(_("country"))
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    token_hash = models.CharField(  # noqa: DJ001  (NULL once used, unique while live)
        max_length=64, null=True, unique=True, editable=False
    )
    token_expires_at = models.DateTimeField(null=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    # Bumped by every change the API's `modified_date` filter must see (OSDI sync).
    modified_at = models.DateTimeField(auto_now=True, db_index=True, editable=False)

    class Objects(ScopedQuerySet):
        organisation_path = "action__organisation"

    objects = Objects.as_manager()

    class Meta:
        verbose_name = _("letters by e-mail")
        verbose_name_plural = _("letters by e-mail")

    def __str__(self):
        return f"{self.name} on {self.action.number}"


class SentLetter(models.Model):
    batch = models.ForeignKey(LetterBatch, on_delete=models.CASCADE, related_name="letters")
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    message = models.OneToOneField(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "target"], name="one_letter_per_target")
        ]

    def __str__(self):
        return f"{self.subject} to {self.target}"


CHANNELS = [
    ("letters", _("Letters by post")),
    ("emails", _("E-mails")),
    ("faxes", _("Faxes")),
    ("calls", _("Phone calls")),
    ("social_posts", _("Social media posts")),
    ("contact_forms", _("Contact-form messages")),
    ("other", _("Other actions")),
]
PLAUSIBLE_PER_CHANNEL = 20


class ActionReport(models.Model):
    """What one activist did on a case. Amended in place, never counted twice."""

    class Status(models.TextChoices):
        COUNTED = "counted", _("Counted")
        HELD = "held", _("Held for review")
        REJECTED = "rejected", _("Rejected")

    action = models.ForeignKey(UrgentAction, on_delete=models.PROTECT, related_name="reports")
    country = CountryField(_("country"))
    letters = models.PositiveSmallIntegerField(_("letters by post"), default=0)
    emails = models.PositiveSmallIntegerField(_("e-mails"), default=0)
    faxes = models.PositiveSmallIntegerField(_("faxes"), default=0)
    calls = models.PositiveSmallIntegerField(_("phone calls"), default=0)
    social_posts = models.PositiveSmallIntegerField(_("social media posts"), default=0)
    contact_forms = models.PositiveSmallIntegerField(_("contact-form messages"), default=0)
    other = models.PositiveSmallIntegerField(_("other actions"), default=0)
    targets = models.ManyToManyField(Target, blank=True, related_name="+")
    email = EncryptedTextField(_("e-mail"), max_length=254, blank=True)
    # HMAC of the canonical address, NULL without one: one person across reports,
    # letters and the follow-up mailing, found without a readable address.
    email_digest = models.CharField(max_length=64, null=True, editable=False)  # noqa: DJ001
    wants_updates = models.BooleanField(_("wants updates"), default=False)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    late = models.BooleanField(_("after the deadline"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Objects(ScopedQuerySet):
        organisation_path = "action__organisation"

    objects = Objects.as_manager()

    class Meta:
        verbose_name = _("action report")
        verbose_name_plural = _("action reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["counted", "held", "rejected"]),
                name="report_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    letters__lte=999,
                    emails__lte=999,
                    faxes__lte=999,
                    calls__lte=999,
                    social_posts__lte=999,
                    contact_forms__lte=999,
                    other__lte=999,
                ),
                name="report_counts_bounded",
            ),
        ]
        indexes = [
            models.Index(fields=["action", "status"]),
            models.Index(fields=["updated_at"], name="report_updated"),
        ]

    def __str__(self):
        return f"Report on {self.action.number} ({self.get_status_display()})"

    def total(self) -> int:
        return sum(getattr(self, field) for field, _label in CHANNELS)

    def plausible(self) -> bool:
        return all(getattr(self, field) <= PLAUSIBLE_PER_CHANNEL for field, _label in CHANNELS)
