from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from outcry.campaigns.forms import EMAIL_MAX_LENGTH, country_field
from outcry.guard.bots import BotCheckMixin
from outcry.privacy import consent
from outcry.signing.models import NameDisplay, Signature


class SignatureForm(BotCheckMixin, forms.Form):
    """The sign form. Its three consents are separate: signing (the text by the
    button), showing the name (the choice of how it appears) and updates (the
    box); each shows the current text of outcry.privacy.consent, which the
    consent log records as agreed to."""

    spend_on_clean = False  # spent with the signature: outcry.signing.views.sign_if_valid

    required_css_class = "required"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        language = get_language()
        self.signing_consent = consent.current(consent.SIGNING, language)
        self.fields["name_display"].help_text = consent.current(consent.SHOW_NAME, language)
        self.fields["wants_updates"].label = consent.current(consent.UPDATES, language)

    name = forms.CharField(
        label=_("Your name"),
        max_length=Signature._meta.get_field("name").max_length,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Please enter your name.")},
    )
    email = forms.EmailField(
        max_length=EMAIL_MAX_LENGTH,
        label=_("Your e-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("We send you a link to confirm your signature. Your address is never shown."),
        error_messages={
            "required": _("Please enter your e-mail address."),
            "invalid": _("Please enter an e-mail address like name@example.org."),
        },
    )
    country = country_field()
    postcode = forms.CharField(
        label=_("Postcode (optional)"),
        max_length=Signature._meta.get_field("postcode").max_length,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    name_display = forms.ChoiceField(
        label=_("How your name appears"),
        choices=NameDisplay.choices,
        initial=NameDisplay.FULL,
        widget=forms.RadioSelect,
    )
    # Where the visitor came from, carried from the petition page to the POST.
    referrer = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)
    utm_source = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)
    wants_updates = forms.BooleanField(required=False)  # labelled in __init__

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Please enter your name."))
        if "\x00" in name or "@" in name or "://" in name:
            raise forms.ValidationError(_("Please enter your name, not an address or a link."))
        return name

    def clean_postcode(self):
        postcode = " ".join(self.cleaned_data["postcode"].split()).upper()
        # Upper case can be longer ("ß" is "SS"): the column's length is checked again.
        if len(postcode) > Signature._meta.get_field("postcode").max_length:
            raise forms.ValidationError(_("Please enter a shorter postcode."))
        return postcode
