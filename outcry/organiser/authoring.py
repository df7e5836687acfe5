"""Organiser workspace: authoring. Its addresses sit under /organiser/<org>/.

Owners and editors write petitions and urgent actions here and keep the
target directory. The workflows live in campaigns/authoring.py.
"""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from outcry.actions.models import UrgentAction
from outcry.campaigns import authoring as workflow
from outcry.campaigns.embeds import embed_snippet
from outcry.campaigns.models import Petition, Target
from outcry.campaigns.templatetags.outcry import markdown
from outcry.organiser.access import EDITORS, member_required, scoped
from outcry.organiser.authoring_forms import (
    CloseActionForm,
    PetitionForm,
    PreviewForm,
    TargetForm,
    UrgentActionForm,
    case_target_formset,
    letter_forms,
)


def _previewing(request) -> bool:
    """The "Preview" button, for browsers without JavaScript: show, save nothing."""
    return request.method == "POST" and "preview" in request.POST


# Petitions


@member_required(EDITORS)
@require_http_methods(["GET", "POST"])
def petition_new(request):
    return _petition_form(request, Petition())


@member_required(EDITORS)
@require_http_methods(["GET", "POST"])
def petition_edit(request, pk):
    return _petition_form(
        request, scoped(request, Petition.objects.select_related("target"), pk=pk)
    )


def _petition_form(request, petition):
    org = request.organisation
    data = (request.POST, request.FILES) if request.method == "POST" else ()
    form = PetitionForm(*data, instance=petition, organisation=org)
    if request.method == "POST" and not _previewing(request) and form.is_valid():
        try:
            petition = workflow.save_petition(
                petition=form.instance, user=request.user, material_note=form.material_note
            )
        except workflow.TextLocked as e:
            form.add_error(
                "material_change" if "material_change" in form.fields else None, e.message
            )
        else:
            return redirect("authoring_petition_edit", org=org.slug, pk=petition.pk)
    return render(
        request,
        "organiser/authoring/petition.html",
        {
            "form": form,
            "petition": petition if petition.pk else None,
            "revisions": petition.revisions.all() if petition.pk else [],
            "embed_snippet": embed_snippet(petition, language=petition.language)
            if petition.pk
            else "",
            "preview": _previewing(request),
        },
        status=400 if form.is_bound and not _previewing(request) and form.errors else 200,
    )


@member_required(EDITORS)
@require_POST
def petition_close(request, pk):
    petition = scoped(request, Petition.objects, pk=pk)
    workflow.close_petition(petition=petition, user=request.user)
    return redirect("authoring_petition_edit", org=request.organisation.slug, pk=petition.pk)


@member_required(EDITORS)
@require_POST
def petition_archive(request, pk):
    petition = scoped(request, Petition.objects, pk=pk)
    workflow.archive_petition(petition=petition, user=request.user)
    return redirect("authoring_petition_edit", org=request.organisation.slug, pk=petition.pk)


# Urgent actions


@member_required(EDITORS)
@require_http_methods(["GET", "POST"])
def action_new(request):
    return _action_form(request, UrgentAction())


@member_required(EDITORS)
@require_http_methods(["GET", "POST"])
def action_edit(request, pk):
    return _action_form(request, scoped(request, UrgentAction.objects, pk=pk))


def _action_form(request, action, *, close_form=None, status=200):
    org = request.organisation
    post = request.method == "POST" and close_form is None
    data = (request.POST, request.FILES) if post else ()
    form = UrgentActionForm(*data, instance=action, organisation=org)
    targets = case_target_formset(request.POST if post else None, organisation=org, action=action)
    letters = letter_forms(request.POST if post else None, action=action)
    if post and not _previewing(request):
        valid = [form.is_valid(), targets.is_valid(), *(f.is_valid() for f in letters)]
        if all(valid):
            action = workflow.save_urgent_action(
                action=form.instance,
                targets=targets.chosen(),
                letters={f.language: f.cleaned_data for f in letters if not f.is_empty()},
                user=request.user,
            )
            return redirect("authoring_action_edit", org=org.slug, pk=action.pk)
        status = 400
    return render(
        request,
        "organiser/authoring/action.html",
        {
            "form": form,
            "targets": targets,
            "letters": letters,
            "action": action if action.pk else None,
            "embed_snippet": embed_snippet(action, language=get_language()) if action.pk else "",
            "close_form": close_form or CloseActionForm(initial={"outcome": action.outcome}),
            "preview": _previewing(request),
        },
        status=status,
    )


@member_required(EDITORS)
@require_POST
def action_close(request, pk):
    action = scoped(request, UrgentAction.objects, pk=pk)
    form = CloseActionForm(request.POST)
    if not form.is_valid():
        return _action_form(request, action, close_form=form, status=400)
    workflow.close_urgent_action(
        action=action, outcome=form.cleaned_data["outcome"], user=request.user
    )
    return redirect("authoring_action_edit", org=request.organisation.slug, pk=action.pk)


@member_required(EDITORS)
@require_POST
def action_archive(request, pk):
    action = scoped(request, UrgentAction.objects, pk=pk)
    workflow.archive_urgent_action(action=action, user=request.user)
    return redirect("authoring_action_edit", org=request.organisation.slug, pk=action.pk)


# The target directory, shared by all the organisation's campaigns


@member_required(EDITORS)
@require_http_methods(["GET", "POST"])
def targets(request):
    return _target_form(request, Target(), list_all=True)


@member_required(EDITORS)
@require_http_methods(["GET", "POST"])
def target_edit(request, pk):
    return _target_form(request, scoped(request, Target.objects, pk=pk), list_all=False)


def _target_form(request, target, *, list_all):
    org = request.organisation
    form = TargetForm(request.POST or None, instance=target, organisation=org)
    if request.method == "POST" and form.is_valid():
        workflow.save_target(target=form.save(commit=False), user=request.user)
        return redirect("authoring_targets", org=org.slug)
    return render(
        request,
        "organiser/authoring/targets.html",
        {
            "form": form,
            "target": target if target.pk else None,
            "directory": Target.objects.filter(organisation=org) if list_all else None,
        },
        status=400 if form.errors else 200,
    )


# Live preview


@member_required(EDITORS)
@require_POST
def preview(request):
    """The sanitised HTML a Markdown text becomes on the public page."""
    form = PreviewForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("This text is too long to preview."), status=400)
    response = HttpResponse(markdown(form.cleaned_data["text"]))
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("petitions/new/", petition_new, name="authoring_petition_new"),
    path("petitions/<int:pk>/edit/", petition_edit, name="authoring_petition_edit"),
    path("petitions/<int:pk>/close/", petition_close, name="authoring_petition_close"),
    path("petitions/<int:pk>/archive/", petition_archive, name="authoring_petition_archive"),
    path("actions/new/", action_new, name="authoring_action_new"),
    path("actions/<int:pk>/edit/", action_edit, name="authoring_action_edit"),
    path("actions/<int:pk>/close/", action_close, name="authoring_action_close"),
    path("actions/<int:pk>/archive/", action_archive, name="authoring_action_archive"),
    path("targets/", targets, name="authoring_targets"),
    path("targets/<int:pk>/", target_edit, name="authoring_target_edit"),
    path("preview/", preview, name="authoring_preview"),
]
