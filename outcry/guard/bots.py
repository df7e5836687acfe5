"""Defences against form-filling robots: a honeypot field, a signed render time and,
on a campaign's forms, a proof-of-work robot check (outcry.guard.challenges).

A post that fills the field people never see, arrives faster than anyone can
fill a form, or carries a render time that is too old or not ours is
*turned away*: the view answers as if it had worked and writes nothing.
Telling a robot why it failed would teach it what to change.

The robot check is different: a person whose browser has not finished it (it was
still working, the page was open too long, JavaScript is off) must learn what to
do, so a missing, wrong, expired or already used solution is a form error.
"""

import json
import logging

from django import forms
from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from outcry.guard import challenges

log = logging.getLogger(__name__)

HONEYPOT = "website"  # a name robots like to fill
STARTED = "started"
ROBOT_CHECK = "altcha"  # the field the widget adds to the form
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


def widget_strings() -> str:
    """The widget's own texts in the active language, as JSON for its i18n store."""
    return json.dumps(
        {
            "ariaLinkLabel": str(_("ALTCHA (official website)")),
            "cancel": str(_("Cancel")),
            "enterCode": str(_("Enter code")),
            "enterCodeAria": str(_("Enter the code you hear. Press Space to play the audio.")),
            "enterCodeFromImage": str(_("To go on, please enter the code from the image below.")),
            "error": str(_("The robot check failed. Please try again in a moment.")),
            "expired": str(_("The robot check expired. Please tick the box again.")),
            "footer": "",
            "getAudioChallenge": str(_("Get an audio challenge")),
            "label": str(_("I am not a robot")),
            "loading": str(_("Loading…")),
            "reload": str(_("Reload")),
            "verify": str(_("Verify")),
            "verificationRequired": str(_("Please tick the robot check first.")),
            "verified": str(_("Robot check done")),
            "verifying": str(_("Checking that you are not a robot…")),
            "waitAlert": str(_("Checking that you are not a robot… please wait.")),
        },
        ensure_ascii=False,
    )


class BotCheckMixin:
    """Add before the form class: `class SignatureForm(BotCheckMixin, forms.Form)`.

    After `is_valid()`, `turned_away` is "" for a person, or the reason a robot
    was spotted; the two quiet fields never show an error and never reach
    `cleaned_data`. Templates render them with `{% include "guard/_bot_check.html" %}`.

    Given `campaign=` (a petition or an urgent action), the form also carries the
    robot check: `{% include "guard/_robot_check.html" %}` by the submit button
    renders its widget, and a solution that is not good for this campaign, or was
    used before, is an error on the `altcha` field.
    """

    robot_check_error = _(
        "The robot check did not finish. Please wait a moment and send the form again."
    )
    # A form whose view writes in a transaction of its own sets this false and calls
    # spend_robot_check() in that transaction: validating (CPU) then stays outside it,
    # and SQLite's one writer is held for the writes alone.
    spend_on_clean = True

    def __init__(self, *args, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.turned_away = ""
        self.campaign = campaign
        self.unspent = {}
        self.fields[HONEYPOT] = forms.CharField(
            label=_("Leave this empty"),
            required=False,
            strip=False,
            widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
        )
        self.fields[STARTED] = StartedField()
        if campaign is not None:
            # Rendered by the widget itself, never by Django: it holds the solution.
            self.fields[ROBOT_CHECK] = forms.CharField(
                label=_("Robot check"), required=False, widget=forms.HiddenInput
            )

    def robot_check(self) -> dict:
        """What guard/_robot_check.html needs to render the widget."""
        kind, pk = challenges.campaign_key(self.campaign).split(":")
        return {
            "challenge_url": reverse("robot_challenge", kwargs={"kind": kind, "pk": pk}),
            "language": get_language(),
            "strings": widget_strings(),
        }

    def clean(self):
        data = super().clean()
        honeypot = data.pop(HONEYPOT, "")
        started = data.pop(STARTED, "")
        solution = data.pop(ROBOT_CHECK, "")
        self.turned_away = "honeypot" if honeypot else token_verdict(started)
        if self.turned_away:
            log.info("%s turned away: %s", type(self).__name__, self.turned_away)
        elif self.campaign is not None:
            # A good solution is spent here, even if another field needs fixing: the
            # form shown again carries a fresh challenge.
            refused, self.unspent = challenges.verdict(
                solution, self.campaign, spend_now=self.spend_on_clean
            )
            if refused:
                log.info("%s robot check refused: %s", type(self).__name__, refused)
                self.add_error(ROBOT_CHECK, self.robot_check_error)
        return data

    def spend_robot_check(self) -> bool:
        """For a valid form with `spend_on_clean = False`: spend its solution now, or, if
        it was used meanwhile, make that the form's error and return False."""
        if not self.unspent or challenges.spend(**self.unspent):
            return True
        log.info("%s robot check refused: replayed", type(self).__name__)
        self.add_error(ROBOT_CHECK, self.robot_check_error)
        return False
