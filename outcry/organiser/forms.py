from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from outcry.campaigns.models import Role


class InviteForm(forms.Form):
    email = forms.EmailField(
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
