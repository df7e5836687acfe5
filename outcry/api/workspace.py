"""Organiser workspace: API tokens. Owners only: a token reads supporters' e-mail."""

from django import forms
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from outcry.api import services
from outcry.api.models import ApiToken
from outcry.organiser.access import OWNERS, member_required, scoped


class TokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name", "scope"]
        help_texts = {
            "name": _("Which system holds it, for example “CRM sync”."),
            "scope": _(
                "Read lets a system list campaigns, signatures, outreaches and "
                "supporters, e-mail addresses included; write also lets it record "
                "signatures and action reports."
            ),
        }
        widgets = {"scope": forms.RadioSelect}


@member_required(OWNERS)
@require_http_methods(["GET", "POST"])
def tokens(request):
    org = request.organisation
    form = TokenForm(request.POST or None, initial={"scope": ApiToken.Scope.READ})
    secret = None
    if request.method == "POST" and form.is_valid():
        token, secret = services.create_token(
            organisation=org, by=request.user, **form.cleaned_data
        )
        form = TokenForm(initial={"scope": ApiToken.Scope.READ})
    response = render(
        request,
        "organiser/api/tokens.html",
        {
            "form": form,
            "secret": secret,
            "tokens": ApiToken.objects.filter(organisation=org).select_related("created_by"),
        },
        status=400 if form.errors else 200,
    )
    # The page may show a token's secret once: no cache may keep a copy.
    patch_cache_control(response, no_store=True)
    return response


@member_required(OWNERS)
@require_POST
def revoke(request, pk):
    token = scoped(request, ApiToken.objects, pk=pk)
    services.revoke_token(token=token, by=request.user)
    return redirect("api_tokens", org=request.organisation.slug)


urlpatterns = [
    path("api/tokens/", tokens, name="api_tokens"),
    path("api/tokens/<int:pk>/revoke/", revoke, name="api_token_revoke"),
]
