from django import forms
from django.utils.translation import gettext_lazy as _


class CommentForm(forms.Form):
    label_suffix = ""
    required_css_class = "required"

    name = forms.CharField(
        label=_("Your name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Please enter your name.")},
    )
    email = forms.EmailField(
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
