from urllib.parse import quote

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from outcry.campaigns.origins import validate_origins
from outcry.guard.work_factor import max_number_constraint, max_number_field
from outcry.privacy.fields import EncryptedTextField


class OrganisationQuerySet(models.QuerySet):
    def for_user(self, user, roles=None):
        """The organisations `user` belongs to (with one of `roles`, when given).

        This is the root of every organiser access check: all scoped querysets
        filter through it, so a new organiser page cannot forget the scope.
        """
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        memberships = Membership.objects.filter(user=user)
        if roles is not None:
            memberships = memberships.filter(role__in=roles)
        return self.filter(pk__in=memberships.values("organisation_id"))


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    EDITOR = "editor", _("Editor")
    MODERATOR = "moderator", _("Moderator")


class Membership(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"], name="one_membership_per_user"
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}, {self.organisation})"


class ScopedQuerySet(models.QuerySet):
    """A queryset of objects that belong to an organisation through `organisation_path`."""

    organisation_path = "organisation"

    def for_user(self, user, roles=None):
        orgs = Organisation.objects.for_user(user, roles)
        return self.filter(**{f"{self.organisation_path}__in": orgs})


class Target(models.Model):
    """A decision maker a campaign addresses. Shared by petitions and urgent actions."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="targets")
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("title or role"), max_length=200)
    institution = models.CharField(_("institution"), max_length=200, blank=True)
    country = CountryField(_("country"), blank=True)
    # {"es": "Señora Presidenta:", "en": "Dear Madam President,"}: letters open with the
    # salutation in their own language.
    salutations = models.JSONField(_("salutations by language"), default=dict, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, blank=True
    )
    postal_address = models.TextField(_("postal address"), blank=True)
    emails = models.JSONField(_("e-mail addresses"), default=list, blank=True)
    phones = models.JSONField(_("phone numbers"), default=list, blank=True)
    fax = models.CharField(_("fax"), max_length=40, blank=True)
    # [{"network": "twitter", "handle": "@PeruInTheUSA", "url": "https://..."}]
    social = models.JSONField(_("social media profiles"), default=list, blank=True)
    contact_form_url = models.URLField(_("contact form address"), blank=True)
    # Outcry spreads e-mails to one target over time: the next free sending slot.
    next_email_slot = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")

    def __str__(self):
        return f"{self.name}, {self.role}"

    def greeting(self, language: str) -> str:
        return (
            self.salutations.get(language)
            or self.salutations.get(self.language)
            or next(iter(self.salutations.values()), self.name)
        )

    def social_profiles(self):
        """Each profile with the address that opens a post to it, where the network has one."""
        for profile in self.social:
            handle = profile.get("handle", "")
            intent = ""
            if profile.get("network") in ("twitter", "x") and handle:
                intent = "https://x.com/intent/post?text=" + quote(handle + " ", safe="")
            yield {**profile, "intent": intent}


LADDER_STEPS = (1, 2.5, 5)


def goal_for(count: int) -> int:
    """The next rung of the 100, 250, 500, 1,000, 2,500 ... ladder above `count`."""
    scale = 100
    while True:
        for step in LADDER_STEPS:
            rung = int(step * scale)
            if rung > count:
                return rung
        scale *= 10


class PetitionQuerySet(ScopedQuerySet):
    def published(self, now=None):
        return self.filter(published_at__lte=now or timezone.now())

    def open(self, now=None):
        now = now or timezone.now()
        return self.published(now).filter(
            Q(closed_at__isnull=True), Q(deadline__isnull=True) | Q(deadline__gt=now)
        )

    def closed(self, now=None):
        now = now or timezone.now()
        return self.published(now).filter(Q(closed_at__isnull=False) | Q(deadline__lte=now))


class Petition(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="petitions"
    )
    slug = models.SlugField(_("web address"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    goal = models.CharField(_("goal in one line"), max_length=300)
    body = models.TextField(_("the case (Markdown)"))
    letter = models.TextField(
        _("open letter (Markdown)"),
        help_text=_("Addressed to the target; the page closes it with the signer's name."),
    )
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="petitions")
    language = models.CharField(
        _("language of the text"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    image = models.ImageField(_("image"), upload_to="petitions/", blank=True)
    image_alt = models.CharField(_("image description (alt text)"), max_length=300, blank=True)
    image_credit = models.CharField(_("image credit"), max_length=200, blank=True)
    comments_premoderated = models.BooleanField(_("hold comments for moderation"), default=True)
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
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    # Once this many signatures are confirmed, title, target and letter lock:
    # signers agreed to a text, so a later change is a public, noted revision.
    lock_threshold = models.PositiveIntegerField(_("lock the text after"), default=100)
    target_response = models.TextField(_("the target's response"), blank=True)
    target_response_at = models.DateTimeField(_("response received"), null=True, blank=True)
    won_at = models.DateTimeField(_("won"), null=True, blank=True)
    won_note = models.TextField(_("what was won"), blank=True)
    # Maintained by the worker from the signing.CountDelta ledger (never in the
    # signing request), and proven by `outcry reconcile`.
    signature_count = models.PositiveIntegerField(_("signatures"), default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Bumped by every change the API's `modified_date` filter must see (OSDI sync).
    modified_at = models.DateTimeField(auto_now=True, db_index=True, editable=False)

    objects = PetitionQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        constraints = [
            models.CheckConstraint(
                condition=Q(image="") | ~Q(image_alt=""), name="petition_image_has_alt"
            ),
            max_number_constraint("petition_altcha_max_number_bounded"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("petition", args=[self.slug])

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.published_at is not None
            and self.published_at <= now
            and self.closed_at is None
            and (self.deadline is None or self.deadline > now)
        )

    @property
    def ended_at(self):
        """When the petition stopped taking signatures, or None while it is open."""
        now = timezone.now()
        return min((t for t in (self.closed_at, self.deadline) if t and t <= now), default=None)

    @property
    def goal_count(self) -> int:
        return goal_for(self.signature_count)


class PetitionRevision(models.Model):
    """A material change to a locked petition: what it said before, and why it changed."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="revisions")
    title = models.CharField(_("title before"), max_length=200)
    target_name = models.CharField(_("target before"), max_length=200)
    letter = models.TextField(_("letter before"))
    note = models.TextField(_("public note"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("material change")
        verbose_name_plural = _("material changes")
        # The petition page lists a petition's earlier versions, newest first.
        indexes = [models.Index(fields=["petition", "-created_at"], name="revision_list")]

    def __str__(self):
        return f"{self.petition}: {self.note[:40]}"


class PetitionUpdate(models.Model):
    """News an organiser posts on a petition; opted-in signers get it by e-mail."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="updates")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"))
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    email_signers = models.BooleanField(_("e-mail signers who asked for updates"), default=True)
    # The worker mails signers in id order and records how far it got, so a crash
    # resumes where it stopped and nobody gets the same update twice.
    mailed_up_to = models.BigIntegerField(default=0, editable=False)
    mailing_done = models.BooleanField(default=False, editable=False)

    class Objects(ScopedQuerySet):
        organisation_path = "petition__organisation"

    objects = Objects.as_manager()

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("update")
        verbose_name_plural = _("updates")
        indexes = [
            models.Index(
                fields=["published_at"], condition=Q(mailing_done=False), name="update_to_mail"
            ),
            # The petition page and its feed list a petition's updates, newest first.
            models.Index(fields=["petition", "-published_at"], name="update_list"),
        ]

    def __str__(self):
        return self.title


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for moderation")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SPAM = "spam", _("Spam")

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="comments")
    name = EncryptedTextField(_("name"), max_length=100)
    email = EncryptedTextField(_("e-mail"), max_length=254)
    # How "my data" finds a commenter's comments (outcry.privacy.digest); NULL once erased.
    email_digest = models.CharField(  # noqa: DJ001
        max_length=64, null=True, editable=False, db_index=True
    )
    text = models.TextField(_("comment"), max_length=2000)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Objects(ScopedQuerySet):
        organisation_path = "petition__organisation"

    objects = Objects.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected", "spam"]),
                name="comment_status_valid",
            )
        ]
        indexes = [models.Index(fields=["petition", "status", "-created_at"])]

    def __str__(self):
        return f"{self.name}: {self.text[:40]}"


class CommentFlag(models.Model):
    """A visitor's report of a comment, for the moderators' queue."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Set when a moderator has dealt with the report.
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reported comment")
        verbose_name_plural = _("reported comments")
        indexes = [
            models.Index(fields=["comment"], condition=Q(handled_at__isnull=True), name="flag_open")
        ]

    def __str__(self):
        return f"Report on comment {self.comment_id}"
