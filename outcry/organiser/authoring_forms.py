"""Forms of the authoring workspace: petitions, urgent actions, the target directory."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outcry.actions.models import CaseTarget, UrgentAction
from outcry.campaigns.authoring import is_locked
from outcry.campaigns.models import Petition, Target
from outcry.campaigns.origins import OriginsField

MAX_IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_FORMATS = {"JPEG", "PNG", "WEBP"}
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ImageField(forms.ImageField):
    """Django's ImageField opens and verifies the file with Pillow; this adds format and size."""

    default_error_messages = {
        "invalid_image": _("Please upload a JPEG, PNG or WebP image; this file is not one."),
    }

    def to_python(self, data):
        if data and getattr(data, "size", 0) > MAX_IMAGE_BYTES:
            raise ValidationError(
                _("Please upload an image of 5 MB at most; this one is %(size)s MB."),
                params={"size": f"{data.size / 1024 / 1024:.1f}"},
                code="too_large",
            )
        f = super().to_python(data)
        if f is not None and f.image.format not in IMAGE_FORMATS:
            raise ValidationError(self.error_messages["invalid_image"], code="invalid_image")
        return f


class ImageMixin:
    """Alt text is required with an image: people who cannot see it must still get it."""

    def clean(self):
        cleaned = super().clean()
        image = cleaned.get("image")
        if image and not cleaned.get("image_alt", "").strip() and "image_alt" not in self.errors:
            self.add_error(
                "image_alt",
                _("Please describe the image for people who cannot see it (alt text)."),
            )
        return cleaned


class AuthoringForm(forms.ModelForm):
    required_css_class = "required"

    def __init__(self, *args, organisation, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.instance.organisation = organisation
        for field in self.fields.values():
            field.error_messages["required"] = _("Please fill in this field.")
        if "altcha_max_number" in self.fields:
            self.fields["altcha_max_number"].required = False

    def clean_altcha_max_number(self):
        # Left empty, the work factor stays what it was (a new campaign: the default).
        value = self.cleaned_data["altcha_max_number"]
        return self.instance.altcha_max_number if value is None else value


class PetitionForm(ImageMixin, AuthoringForm):
    material_change = forms.BooleanField(
        label=_("This is a material change"),
        required=False,
        help_text=_("Signers agreed to the text: the page will show what it said before."),
    )
    change_note = forms.CharField(
        label=_("Public note on the change"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on the petition page with the earlier text."),
    )

    class Meta:
        model = Petition
        fields = [
            "title",
            "slug",
            "goal",
            "target",
            "language",
            "body",
            "letter",
            "image",
            "image_alt",
            "image_credit",
            "published_at",
            "deadline",
            "lock_threshold",
            "comments_premoderated",
            "embed_origins",
            "altcha_max_number",
        ]
        field_classes = {"image": ImageField, "embed_origins": OriginsField}
        widgets = {
            "body": forms.Textarea(attrs={"rows": 12, "data-preview": "body"}),
            "letter": forms.Textarea(attrs={"rows": 10, "data-preview": "letter"}),
            "published_at": DATETIME_INPUT,
            "deadline": DATETIME_INPUT,
        }
        help_texts = {
            "published_at": _(
                "Empty: a draft. A time in the future: published then. Times are %(tz)s."
            )
            % {"tz": settings.TIME_ZONE},
            "target": _("From the organisation's target directory."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = Target.objects.filter(organisation=self.organisation)
        self.fields["target"].error_messages["invalid_choice"] = _(
            "Please choose a target from the directory."
        )
        self.fields["slug"].error_messages["unique"] = _(
            "Another petition already has this web address; please choose another."
        )
        self.locked = is_locked(self.instance)
        if self.locked:
            self.fields["lock_threshold"].disabled = True
        if self.instance.pk and self.instance.published_at:
            # Published addresses are in e-mails and shared posts already.
            self.fields["slug"].disabled = True
        if not self.locked:
            del self.fields["material_change"]
            del self.fields["change_note"]

    def clean_published_at(self):
        value = self.cleaned_data["published_at"]
        was = self.instance.published_at
        live = was is not None and was <= timezone.now()
        hidden = value is None or value > timezone.now()
        if live and hidden and self.instance.signature_count:
            raise ValidationError(
                _("People have signed already: close or archive the petition instead.")
            )
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("material_change") and not cleaned.get("change_note", "").strip():
            self.add_error(
                "change_note", _("Please write the public note that explains the change.")
            )
        return cleaned

    @property
    def material_note(self) -> str:
        if self.locked and self.cleaned_data.get("material_change"):
            return self.cleaned_data["change_note"]
        return ""


class UrgentActionForm(ImageMixin, AuthoringForm):
    class Meta:
        model = UrgentAction
        fields = [
            "serial",
            "year",
            "follows",
            "headline",
            "country",
            "people_at_risk",
            "pronouns",
            "summary",
            "preferred_language",
            "take_action",
            "background",
            "image",
            "image_alt",
            "image_credit",
            "published_at",
            "deadline",
            "status",
            "embed_origins",
            "altcha_max_number",
        ]
        field_classes = {"image": ImageField, "embed_origins": OriginsField}
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "take_action": forms.Textarea(attrs={"rows": 8, "data-preview": "take_action"}),
            "background": forms.Textarea(attrs={"rows": 8, "data-preview": "background"}),
            "published_at": DATETIME_INPUT,
            "deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        earlier = UrgentAction.objects.filter(organisation=self.organisation)
        if self.instance.pk:
            earlier = earlier.exclude(pk=self.instance.pk)
        self.fields["follows"].queryset = earlier
        # Closing has its own button, which asks for the outcome.
        if self.instance.status == UrgentAction.Status.CLOSED:
            del self.fields["status"]
        else:
            self.fields["status"].choices = [
                c for c in UrgentAction.Status.choices if c[0] != UrgentAction.Status.CLOSED
            ]

    def clean(self):
        cleaned = super().clean()
        serial, year = cleaned.get("serial"), cleaned.get("year")
        if serial and year:
            taken = UrgentAction.objects.filter(
                organisation=self.organisation, serial=serial, year=year
            ).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error(
                    "serial",
                    _("Another urgent action already has this number; please choose another."),
                )
        return cleaned


class CaseTargetForm(forms.Form):
    target = forms.ModelChoiceField(
        label=_("Target"),
        queryset=Target.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Please choose a target from the directory.")},
    )
    group = forms.ChoiceField(
        label=_("Group"), choices=CaseTarget.Group.choices, initial=CaseTarget.Group.TARGET
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = Target.objects.filter(organisation=organisation)


class BaseCaseTargetFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        chosen = [f.cleaned_data["target"] for f in self.forms if f.cleaned_data.get("target")]
        if len(chosen) != len(set(chosen)):
            raise ValidationError(_("Each target may appear only once."))
        if not any(
            f.cleaned_data.get("target") and f.cleaned_data["group"] == CaseTarget.Group.TARGET
            for f in self.forms
        ):
            raise ValidationError(_("Please choose at least one target to write to."))

    def chosen(self) -> list[tuple[Target, str]]:
        return [
            (f.cleaned_data["target"], f.cleaned_data["group"])
            for f in self.forms
            if f.cleaned_data.get("target")
        ]


CaseTargetFormSet = forms.formset_factory(CaseTargetForm, BaseCaseTargetFormSet, extra=2)


def case_target_formset(data=None, *, organisation, action=None) -> BaseCaseTargetFormSet:
    initial = []
    if action is not None and action.pk:
        initial = [
            {"target": link.target_id, "group": link.group}
            for link in sorted(
                action.casetarget_set.all(),
                key=lambda x: (x.group != CaseTarget.Group.TARGET, x.position, x.id),
            )
        ]
    return CaseTargetFormSet(
        data, initial=initial, prefix="targets", form_kwargs={"organisation": organisation}
    )


class LetterForm(forms.Form):
    """The sample letter in one language. Left empty, the action has none in it."""

    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body = forms.CharField(
        label=_("Letter"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Without salutation or signature: the page adds both."),
    )
    call_script = forms.CharField(
        label=_("What to say on the phone"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, language, language_name, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, prefix=f"letter-{language}", **kwargs)
        self.language, self.language_name = language, language_name

    def clean(self):
        cleaned = super().clean()
        subject, body = cleaned.get("subject", "").strip(), cleaned.get("body", "").strip()
        if subject and not body:
            self.add_error("body", _("Please write the letter, or clear its subject."))
        if body and not subject:
            self.add_error("subject", _("Please give the letter a subject."))
        return cleaned

    def is_empty(self) -> bool:
        return not (self.cleaned_data.get("subject") or self.cleaned_data.get("body"))


def letter_forms(data=None, *, action=None) -> list[LetterForm]:
    existing = {x.language: x for x in action.letters.all()} if action and action.pk else {}
    forms_ = []
    for code, name in settings.LANGUAGES:
        letter = existing.get(code)
        initial = (
            {"subject": letter.subject, "body": letter.body, "call_script": letter.call_script}
            if letter
            else None
        )
        forms_.append(LetterForm(data, initial=initial, language=code, language_name=name))
    return forms_


class CloseActionForm(forms.Form):
    outcome = forms.CharField(
        label=_("Outcome"),
        max_length=300,
        help_text=_("One line shown on the case, for example “Released on 3 May”."),
        error_messages={"required": _("Please say how the case ended.")},
    )


class TargetForm(AuthoringForm):
    contact_form_url = forms.URLField(
        label=_("Contact form address"),
        required=False,
        assume_scheme="https",
        error_messages={"invalid": _("Please enter a web address like https://example.org/.")},
    )
    emails_text = forms.CharField(
        label=_("E-mail addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line."),
    )
    phones_text = forms.CharField(
        label=_("Phone numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line, with the country code."),
    )

    class Meta:
        model = Target
        fields = [
            "name",
            "role",
            "institution",
            "country",
            "language",
            "postal_address",
            "fax",
            "contact_form_url",
        ]
        widgets = {"postal_address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, name in settings.LANGUAGES:
            self.fields[f"salutation_{code}"] = forms.CharField(
                label=_("Salutation in %(language)s") % {"language": name},
                required=False,
                max_length=200,
                initial=self.instance.salutations.get(code, ""),
                help_text=_("For example “Dear Minister,”."),
            )
        self.fields["emails_text"].initial = "\n".join(self.instance.emails)
        self.fields["phones_text"].initial = "\n".join(self.instance.phones)

    def clean_emails_text(self):
        emails = [line.strip() for line in self.cleaned_data["emails_text"].splitlines()]
        emails = [e for e in emails if e]
        for email in emails:
            try:
                validate_email(email)
            except ValidationError:
                raise ValidationError(
                    _("“%(email)s” is not an e-mail address; please write one per line."),
                    params={"email": email},
                ) from None
        return emails

    def clean_phones_text(self):
        return [p.strip() for p in self.cleaned_data["phones_text"].splitlines() if p.strip()]

    def save(self, commit=True):
        target = super().save(commit=False)
        target.emails = self.cleaned_data["emails_text"]
        target.phones = self.cleaned_data["phones_text"]
        target.salutations = {
            code: self.cleaned_data[f"salutation_{code}"].strip()
            for code, _name in settings.LANGUAGES
            if self.cleaned_data[f"salutation_{code}"].strip()
        }
        if commit:
            target.save()
        return target


class PreviewForm(forms.Form):
    text = forms.CharField(required=False, max_length=100_000, strip=False)
