import ipaddress
import re

from django import forms
from django.core.validators import DomainNameValidator
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from outcry.campaigns.models import Petition
from outcry.fraud.models import ListEntry
from outcry.fraud.services import SHORT_HASH
from outcry.privacy.digest import canonical_domain, canonical_email, email_digest

HEX = re.compile(r"^[0-9a-f]+$")


class ListEntryForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ListEntry.Kind.choices)
    value = forms.CharField(
        label=_("Value"),
        max_length=254,
        help_text=_(
            "An IP range such as 203.0.113.0/24, a domain such as example.org, "
            "or one e-mail address."
        ),
        error_messages={"required": _("Please enter the range, domain or address.")},
    )
    allow = forms.TypedChoiceField(
        label=_("List"),
        choices=[("0", _("Block")), ("1", _("Allow"))],
        coerce=lambda v: v == "1",
        initial="0",
    )
    note = forms.CharField(label=_("Note (optional)"), max_length=200, required=False)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean(self):
        data = super().clean()
        kind, value = data.get("kind"), data.get("value", "").strip().lower()
        if not kind or not value:
            return data
        if kind == ListEntry.Kind.IP_RANGE:
            try:
                value = str(ipaddress.ip_network(value, strict=False))
            except ValueError:
                self.add_error("value", _("Please enter an IP range like 203.0.113.0/24."))
                return data
        elif kind == ListEntry.Kind.DOMAIN:
            # Fold the domain as signatures' canonical addresses are (googlemail = gmail).
            value = canonical_domain(value)
            try:
                DomainNameValidator()(value)
            except forms.ValidationError:
                self.add_error("value", _("Please enter a domain like example.org."))
                return data
        else:
            try:
                forms.EmailField().clean(value)
            except forms.ValidationError:
                self.add_error("value", _("Please enter an e-mail address like name@example.org."))
                return data
            # Signatures are matched by digest; the address is kept encrypted, to show.
            data["address"] = canonical_email(value)
            value = email_digest(value)
        data["value"] = value
        if ListEntry.objects.filter(
            organisation=self.organisation, kind=kind, value=value
        ).exists():
            self.add_error("value", _("This is already on the block or allow list."))
        return data


class InvalidationForm(forms.Form):
    petition = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Petition.objects.none(),
        required=False,
        empty_label=_("All petitions"),
    )
    domain = forms.CharField(label=_("E-mail domain"), max_length=254, required=False)
    ip_hash = forms.CharField(
        label=_("IP hash"),
        max_length=64,
        required=False,
        help_text=_(
            "As the hourly report shows it. Only a keyed hash of each IP is kept, "
            "so IP ranges cannot be matched after signing: block them instead."
        ),
    )
    since = forms.DateTimeField(
        label=_("Signed from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    until = forms.DateTimeField(
        label=_("Signed before"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    country = forms.ChoiceField(label=_("Country"), required=False, choices=[("", "—"), *countries])
    disposable = forms.BooleanField(
        label=_("Only addresses at throwaway e-mail domains"),
        required=False,
        help_text=_("Domains such as mailinator.com that give anyone a mailbox for a while."),
    )
    name_pattern = forms.CharField(
        label=_("Name pattern"),
        max_length=100,
        required=False,
        help_text=_("* stands for any text; capitals do not matter. Example: test*"),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        error_messages={"required": _("Please say why, for the audit log.")},
    )
    # The count the organiser saw in the preview; applying checks it still holds.
    expected = forms.IntegerField(required=False, widget=forms.HiddenInput)

    CONDITIONS = (
        "petition",
        "domain",
        "ip_hash",
        "since",
        "until",
        "country",
        "disposable",
        "name_pattern",
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["petition"].queryset = Petition.objects.filter(organisation=organisation)

    def clean_domain(self):
        value = self.cleaned_data["domain"].strip().lower()
        return canonical_domain(value) if value else ""

    def clean_ip_hash(self):
        value = self.cleaned_data["ip_hash"].strip().lower().rstrip("…")
        if value and (len(value) < SHORT_HASH or not HEX.match(value)):
            raise forms.ValidationError(
                _("Please copy at least the first %(n)d characters of the hash from the report.")
                % {"n": SHORT_HASH}
            )
        return value

    def clean(self):
        data = super().clean()
        if not any(data.get(name) or name in self.errors for name in self.CONDITIONS):
            raise forms.ValidationError(_("Please give at least one condition."))
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            self.add_error("until", _("Please give a time after the start."))
        return data

    def conditions(self) -> dict:
        """The conditions as stored on the invalidation: plain JSON, only those given."""
        out = {}
        for name in self.CONDITIONS:
            value = self.cleaned_data.get(name)
            if value:
                if name == "petition":
                    value = value.pk
                elif name in ("since", "until"):
                    value = value.isoformat()
                out[name] = value
        return out
