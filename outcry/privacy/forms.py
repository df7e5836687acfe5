from django import forms
from django.utils.translation import gettext_lazy as _

from outcry.guard.bots import BotCheckMixin


class LinkRequestForm(BotCheckMixin, forms.Form):
    required_css_class = "required"

    email = forms.EmailField(
        label=_("Your e-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("Please enter your e-mail address."),
            "invalid": _("Please enter an e-mail address like name@example.org."),
        },
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that this cannot be undone."),
        error_messages={"required": _("Please tick the box to confirm the erasure.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
