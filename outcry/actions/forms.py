from django import forms
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from outcry.actions.models import CHANNELS
from outcry.campaigns.forms import EMAIL_MAX_LENGTH, country_field
from outcry.guard.bots import BotCheckMixin
from outcry.privacy import consent


class OutcryForm(forms.Form):
    required_css_class = "required"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class TargetChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    default_error_messages = {"invalid_choice": _("Please choose from the people listed.")}

    def _check_values(self, value):
        # Compared as text with the few ids on offer first: an id too large for the
        # database's integers would otherwise reach it and fail there, not here.
        offered = {str(pk) for pk in self.queryset.values_list("pk", flat=True)}
        for pk in value if isinstance(value, list | tuple) else ():
            if str(pk) not in offered:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice"
                )
        return super()._check_values(value)

    def label_from_instance(self, obj):
        return f"{obj.name}, {obj.role}"


class WriteForm(OutcryForm):
    """The letter an activist writes: to whom, in which language, with what words."""

    targets = TargetChoiceField(
        queryset=None,
        label=_("Write to"),
        error_messages={"required": _("Please choose at least one person to write to.")},
    )
    language = forms.ChoiceField(label=_("Language of the letter"), choices=settings.LANGUAGES)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Your letter"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 14}),
        error_messages={"required": _("Please write your letter.")},
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Please enter your name: the letter is signed with it.")},
    )

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["targets"].queryset = action.ordered_targets()
        self.fields["language"].choices = [
            (code, name)
            for code, name in settings.LANGUAGES
            if code in {letter.language for letter in action.letters.all()}
        ] or settings.LANGUAGES


class SendForm(BotCheckMixin, WriteForm):
    """The same letter, plus the activist's own address to confirm before Outcry sends it."""

    email = forms.EmailField(
        max_length=EMAIL_MAX_LENGTH,
        label=_("Your e-mail address"),
        help_text=_("We send you a link to confirm. The officials can reply to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("Please enter your e-mail address."),
            "invalid": _("Please enter an e-mail address like name@example.org."),
        },
    )
    country = country_field(_("Your country"))

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, action=action, campaign=action, **kwargs)


class ReportForm(BotCheckMixin, OutcryForm):
    country = country_field(_("Your country"))
    targets = TargetChoiceField(queryset=None, label=_("Whom did you contact?"), required=False)
    email = forms.EmailField(
        max_length=EMAIL_MAX_LENGTH,
        label=_("Your e-mail address (optional)"),
        required=False,
        help_text=_("Only to send you a link to change your report, and updates if you ask."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    # Labelled in __init__ with the consent text the log records (outcry.privacy.consent).
    wants_updates = forms.BooleanField(required=False)

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, campaign=action, **kwargs)
        self.fields["wants_updates"].label = consent.current(consent.CASE_UPDATES, get_language())
        self.fields["targets"].queryset = action.ordered_targets()
        for field, label in CHANNELS:
            self.fields[field] = forms.IntegerField(
                label=label,
                min_value=0,
                max_value=999,
                initial=0,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                error_messages={
                    "min_value": _("Please enter a number from 0 to 999."),
                    "max_value": _("Please enter a number from 0 to 999."),
                    "invalid": _("Please enter a whole number."),
                },
            )
        self.order_fields([f for f, _label in CHANNELS])

    def channel_fields(self):
        return [self[f] for f, _label in CHANNELS]

    def clean(self):
        data = super().clean()
        for field, _label in CHANNELS:
            data[field] = data.get(field) or 0
        if not self.errors and not any(data[f] for f, _label in CHANNELS):
            raise forms.ValidationError(_("Please tell us at least one thing you did."))
        if data.get("wants_updates") and not data.get("email"):
            self.add_error("email", _("Please enter your e-mail address to get updates."))
        return data
