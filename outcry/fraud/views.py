"""Organiser workspace: fraud defence. Owners and moderators only."""

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from outcry.fraud import services
from outcry.fraud.forms import InvalidationForm, ListEntryForm
from outcry.fraud.models import Invalidation, ListEntry
from outcry.organiser.access import MODERATORS, member_required, scoped


@member_required(MODERATORS)
@require_GET
def report(request):
    now = timezone.now()
    return render(
        request,
        "organiser/fraud/report.html",
        {
            "hours": services.hourly_report(organisation=request.organisation, now=now),
            "since": timezone.localtime(now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "short": services.SHORT_HASH,
        },
    )


@member_required(MODERATORS)
@require_http_methods(["GET", "POST"])
def lists(request):
    org = request.organisation
    form = ListEntryForm(request.POST or None, organisation=org)
    if request.method == "POST" and form.is_valid():
        services.add_entry(organisation=org, by=request.user, **form.cleaned_data)
        return redirect("fraud_lists", org=org.slug)
    return render(
        request,
        "organiser/fraud/lists.html",
        {
            "form": form,
            "entries": ListEntry.objects.filter(organisation=org).order_by(
                "allow", "kind", "value"
            ),
        },
        status=400 if form.errors else 200,
    )


@member_required(MODERATORS)
@require_POST
def list_remove(request, pk):
    entry = scoped(request, ListEntry.objects, pk=pk)
    services.remove_entry(entry=entry, by=request.user)
    return redirect("fraud_lists", org=request.organisation.slug)


@member_required(MODERATORS)
@require_http_methods(["GET", "POST"])
def invalidations(request):
    org = request.organisation
    if request.method == "POST":
        form = InvalidationForm(request.POST, organisation=org)
    else:  # the report links here with its conditions filled in
        form = InvalidationForm(initial=request.GET.dict(), organisation=org)
    count, changed = None, False
    if request.method == "POST" and form.is_valid():
        conditions = form.conditions()
        count = services.preview(organisation=org, conditions=conditions)
        if "apply" in request.POST:
            if count == form.cleaned_data["expected"]:
                invalidation = services.invalidate(
                    organisation=org,
                    conditions=conditions,
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
                messages.success(
                    request,
                    ngettext(
                        "%(n)d signature invalidated.",
                        "%(n)d signatures invalidated.",
                        invalidation.count,
                    )
                    % {"n": invalidation.count},
                )
                return redirect("fraud_invalidations", org=org.slug)
            changed = True
        form.data = form.data.copy()
        form.data["expected"] = count
    return render(
        request,
        "organiser/fraud/invalidations.html",
        {
            "form": form,
            "count": count,
            "changed": changed,
            "invalidations": Invalidation.objects.filter(organisation=org).select_related(
                "created_by", "undone_by"
            )[:200],
        },
        status=400 if form.errors else 200,
    )


@member_required(MODERATORS)
@require_POST
def invalidation_undo(request, pk):
    invalidation = scoped(request, Invalidation.objects, pk=pk)
    restored = services.undo(invalidation=invalidation, by=request.user)
    if restored or invalidation.undone_at is None:
        messages.success(
            request,
            ngettext("%(n)d signature restored.", "%(n)d signatures restored.", restored)
            % {"n": restored},
        )
    else:
        messages.info(request, _("That invalidation was already undone."))
    return redirect("fraud_invalidations", org=request.organisation.slug)


urlpatterns = [
    path("fraud/", report, name="fraud_report"),
    path("fraud/lists/", lists, name="fraud_lists"),
    path("fraud/lists/<int:pk>/remove/", list_remove, name="fraud_list_remove"),
    path("fraud/invalidations/", invalidations, name="fraud_invalidations"),
    path("fraud/invalidations/<int:pk>/undo/", invalidation_undo, name="fraud_invalidation_undo"),
]
