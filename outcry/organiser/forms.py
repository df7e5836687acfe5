import math
import unicodedata

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from outcry.campaigns.forms import EMAIL_MAX_LENGTH
from outcry.campaigns.models import Role
from outcry.guard.limits import limit


class InviteForm(forms.Form):
    email = forms.EmailField(
        max_length=EMAIL_MAX_LENGTH,
        label=_("E-mail address"),
        error_messages={
            "required": _("Please enter the e-mail address to invite."),
            "invalid": _("Please enter an e-mail address like name@example.org."),
        },
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.EDITOR)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class AccountForm(UserCreationForm):
    """A new organiser account, made while accepting an invitation."""


class LoginForm(AuthenticationForm):
    """The password step, limited per user name as well as per IP.

    Each try uses up one of the name's tries *before* the password is checked, so
    however many requests race, no more than RATE_LIMITS["login_username"]
    passwords are tried for one name in a window. The refusal reads the same for a
    name that exists and one that does not.
    """

    retry_after: int | None = None

    def clean(self):
        username = self.cleaned_data.get("username")
        if username:
            per, seconds = settings.RATE_LIMITS["login_username"]
            self.retry_after = limit(username_key(username), per=per, seconds=seconds)
            if self.retry_after is not None:
                raise forms.ValidationError(
                    ngettext_lazy(
                        "Too many attempts to log in with this user name. "
                        "Please wait %(minutes)d minute and try again.",
                        "Too many attempts to log in with this user name. "
                        "Please wait %(minutes)d minutes and try again.",
                        "minutes",
                    ),
                    code="throttled",
                    params={"minutes": math.ceil(self.retry_after / 60)},
                )
        return super().clean()


def username_key(username: str) -> str:
    """The rate-limit key of a user name: every spelling of it, and never the name itself."""
    folded = unicodedata.normalize("NFKC", username).casefold().strip()
    return "login_username:" + salted_hmac("outcry.organiser.login", folded).hexdigest()


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_(
            "The six digits your authenticator app shows now, or one of your recovery codes."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
        error_messages={"required": _("Please enter the code.")},
    )
