"""Quiet defences against form-filling robots: a honeypot field and a signed render time.

A post that fills the field people never see, arrives faster than anyone can
fill a form, or carries a render time that is too old or not ours is
*turned away*: the view answers as if it had worked and writes nothing.
Telling a robot why it failed would teach it what to change.
"""

import logging

from django import forms
from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

HONEYPOT = "website"  # a name robots like to fill
STARTED = "started"
SALT = "outcry.guard.bots"


def issue_token() -> str:
    """The hidden value a form carries: when it was rendered, signed so no one can change it."""
    return signing.TimestampSigner(salt=SALT).sign("form")


def token_verdict(token: str) -> str:
    """Why a render-time token turns the post away, or "" if a person could have sent it."""
    signer = signing.TimestampSigner(salt=SALT)
    try:
        signer.unsign(token or "", max_age=settings.FORM_MAX_AGE_HOURS * 3600)
    except signing.SignatureExpired:
        return "too old"
    except signing.BadSignature:
        return "tampered"
    if settings.FORM_MIN_FILL_SECONDS > 0:
        # Unsigning with the minimum as max_age succeeds only for a token younger than it.
        try:
            signer.unsign(token, max_age=settings.FORM_MIN_FILL_SECONDS)
        except signing.SignatureExpired:
            return ""
        return "too fast"
    return ""


class StartedField(forms.CharField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, initial=issue_token, **kwargs)

    def bound_data(self, data, initial):
        # A form shown again with errors keeps the time it was first shown, so the
        # minimum counts from then; a token no longer any good is replaced by a fresh one.
        return data if token_verdict(data) in ("", "too fast") else initial


class BotCheckMixin:
    """Add before the form class: `class SignatureForm(BotCheckMixin, forms.Form)`.

    After `is_valid()`, `turned_away` is "" for a person, or the reason a robot
    was spotted; the two fields never show an error and never reach
    `cleaned_data`. Templates render them with `{% include "guard/_bot_check.html" %}`.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.turned_away = ""
        self.fields[HONEYPOT] = forms.CharField(
            label=_("Leave this empty"),
            required=False,
            strip=False,
            widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
        )
        self.fields[STARTED] = StartedField()

    def clean(self):
        data = super().clean()
        honeypot = data.pop(HONEYPOT, "")
        started = data.pop(STARTED, "")
        self.turned_away = "honeypot" if honeypot else token_verdict(started)
        if self.turned_away:
            log.info("%s turned away: %s", type(self).__name__, self.turned_away)
        return data
