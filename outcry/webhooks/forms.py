from django import forms
from django.utils.translation import gettext_lazy as _

from outcry.webhooks import receivers
from outcry.webhooks.models import Endpoint, Event


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=_("Address"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where Outcry POSTs the events, such as https://crm.example.org/outcry."),
        error_messages={
            "required": _("Please enter the address of your receiver."),
            "invalid": _("Please enter a web address like https://crm.example.org/outcry."),
        },
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Please choose at least one event.")},
    )

    class Meta:
        model = Endpoint
        fields = ["url", "description", "events", "active"]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            receivers.check(url)
        except receivers.Refused as exc:
            raise forms.ValidationError(str(exc), code="refused") from None
        return url
