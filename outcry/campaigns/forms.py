from functools import lru_cache

from django import forms
from django.forms.utils import flatatt
from django.utils import translation
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import CountryField, LazyTypedChoiceField
from django_countries.widgets import LazySelect

from outcry.guard.bots import BotCheckMixin


@lru_cache(maxsize=16)
def _country_options(language: str, blank_label: str) -> str:
    with translation.override(language):
        return format_html('<option value="">{}</option>', blank_label) + format_html_join(
            "", '<option value="{}">{}</option>', ((c.code, c.name) for c in countries)
        )


class CountrySelect(LazySelect):
    """The country list, rendered from a per-language cache.

    Django renders a select one template per option; for ~250 countries that was
    three quarters of the petition page's time (bench profile).
    """

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        options = _country_options(translation.get_language(), str(BLANK_LABEL))
        selected = escape(value or "")
        options = options.replace(
            f'<option value="{selected}">', f'<option value="{selected}" selected>', 1
        )
        return mark_safe(f'<select name="{escape(name)}"{flatatt(attrs)}>{options}</select>')  # noqa: S308


BLANK_LABEL = _("Choose your country")


class CountryChoiceField(LazyTypedChoiceField):
    """A country choice checked by its code.

    Django checks a choice by walking all of them, and each walk of
    django-countries' lazy choices sorts ~250 names in the request's language:
    1.7 ms of every sign POST (bench profile). A code is valid if it is listed.
    """

    def valid_value(self, value) -> bool:
        return str(value) in countries


# Every address column is 254 long (RFC 5321's limit on a path); Django's form field
# allows 320, which PostgreSQL would refuse at the INSERT instead of the form saying so.
EMAIL_MAX_LENGTH = 254


def country_field(label=None) -> forms.Field:
    """A required country choice whose names follow each request's language.

    django-countries' own form field keeps its choices lazy; a list built when
    the module is imported would stay in whatever language was active then.
    """
    return CountryField(blank_label=BLANK_LABEL).formfield(
        choices_form_class=CountryChoiceField,
        label=label or _("Country"),
        widget=CountrySelect(attrs={"autocomplete": "country"}),
        error_messages={"required": _("Please choose your country.")},
    )


class CommentForm(BotCheckMixin, forms.Form):
    required_css_class = "required"

    def __init__(self, *args, **kwargs):
        # Its own ids: the sign form on the same page already uses id_name, id_email.
        kwargs.setdefault("auto_id", "comment_%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    name = forms.CharField(
        label=_("Your name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Please enter your name.")},
    )
    email = forms.EmailField(
        max_length=EMAIL_MAX_LENGTH,
        label=_("Your e-mail address"),
        help_text=_("Never published."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("Please enter your e-mail address."),
            "invalid": _("Please enter an e-mail address like name@example.org."),
        },
    )
    text = forms.CharField(
        label=_("Why I signed"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("Please write your comment."),
            "max_length": _("Please keep your comment to %(limit_value)d characters at most."),
        },
    )
