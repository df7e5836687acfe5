"""Organiser workspace: moderation. Its addresses sit under /organiser/<org>/.

Three queues for owners and moderators: comments waiting for moderation,
approved comments the public reported, and urgent-action reports held because
their numbers looked implausible. Each queue is decided in bulk by one POST;
the services touch only this organisation's objects, whatever ids are posted.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from outcry.actions import services as action_services
from outcry.actions.models import CHANNELS, UrgentAction
from outcry.campaigns import services
from outcry.campaigns.models import Petition
from outcry.organiser.access import MODERATORS, member_required

PER_PAGE = 50
MAX_IDS = 500  # more than a page holds; a longer list is cut, not refused


def as_int(value) -> int | None:
    """A positive id that fits a database integer, or None for anything else."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    return n if 0 < n < 2**63 else None


def posted_ids(request) -> list[int]:
    return [i for i in map(as_int, request.POST.getlist("ids")[:MAX_IDS]) if i is not None]


def queue_url(request, name: str, **filters) -> str:
    """The queue's address with its filter and page, to return to after a decision."""
    query = {k: v for k, v in filters.items() if v}
    url = reverse(name, kwargs={"org": request.organisation.slug})
    return f"{url}?{urlencode(query)}" if query else url


def render_queue(request, template: str, tab: str, page, **context):
    return render(
        request,
        template,
        {
            "page": page,
            "tab": tab,
            "counts": services.moderation_counts(organisation=request.organisation),
            **context,
        },
    )


def paginate(request, rows):
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))


@member_required(MODERATORS)
@require_GET
def comments(request):
    petition_id = as_int(request.GET.get("petition"))
    return render_queue(
        request,
        "organiser/moderation/comments.html",
        "comments",
        paginate(
            request,
            services.pending_comments(organisation=request.organisation, petition_id=petition_id),
        ),
        petitions=Petition.objects.filter(organisation=request.organisation).only("title"),
        petition_id=petition_id,
        filter_query=f"petition={petition_id}&" if petition_id else "",
    )


@member_required(MODERATORS)
@require_GET
def reported(request):
    return render_queue(
        request,
        "organiser/moderation/reported.html",
        "reported",
        paginate(request, services.reported_comments(organisation=request.organisation)),
    )


@member_required(MODERATORS)
@require_POST
def decide_comments(request):
    decision = request.POST.get("decision")
    ids = posted_ids(request)
    if decision not in services.COMMENT_DECISIONS:
        messages.error(request, _("Choose whether to approve, reject or mark as spam."))
    elif not ids:
        messages.error(request, _("Select at least one comment first."))
    else:
        n = services.moderate_comments(
            organisation=request.organisation, ids=ids, decision=decision, user=request.user
        )
        messages.add_message(request, *comments_done(decision, n))
    back = "reported" if request.POST.get("queue") == "reported" else "comments"
    return redirect(
        queue_url(
            request,
            f"moderation_{back}",
            petition=as_int(request.POST.get("petition")),
            page=as_int(request.POST.get("page")),
        )
    )


def comments_done(decision: str, n: int) -> tuple[int, str]:
    if n == 0:
        return messages.ERROR, _("Nothing changed: the selected comments were not found.")
    text = {
        "approve": ngettext(
            "%(n)d comment approved: it shows on its petition.",
            "%(n)d comments approved: they show on their petitions.",
            n,
        ),
        "reject": ngettext(
            "%(n)d comment rejected: it no longer shows.",
            "%(n)d comments rejected: they no longer show.",
            n,
        ),
        "spam": ngettext(
            "%(n)d comment marked as spam: it no longer shows.",
            "%(n)d comments marked as spam: they no longer show.",
            n,
        ),
    }[decision]
    return messages.SUCCESS, text % {"n": n}


@member_required(MODERATORS)
@require_GET
def reports(request):
    action_id = as_int(request.GET.get("action"))
    page = paginate(
        request,
        action_services.held_reports(organisation=request.organisation, action_id=action_id),
    )
    for report in page:
        report.channel_counts = [(label, getattr(report, f)) for f, label in CHANNELS]
    return render_queue(
        request,
        "organiser/moderation/reports.html",
        "reports",
        page,
        actions=UrgentAction.objects.filter(organisation=request.organisation),
        action_id=action_id,
        filter_query=f"action={action_id}&" if action_id else "",
    )


@member_required(MODERATORS)
@require_POST
def decide_reports(request):
    decision = request.POST.get("decision")
    ids = posted_ids(request)
    if decision not in action_services.HELD_DECISIONS:
        messages.error(request, _("Choose whether to count or reject the reports."))
    elif not ids:
        messages.error(request, _("Select at least one report first."))
    else:
        n = action_services.review_held_reports(
            organisation=request.organisation, ids=ids, decision=decision, user=request.user
        )
        if n == 0:
            messages.error(request, _("Nothing changed: the selected reports were not held."))
        elif decision == "count":
            messages.success(
                request,
                ngettext(
                    "%(n)d report counted: it is in the case's totals.",
                    "%(n)d reports counted: they are in the case's totals.",
                    n,
                )
                % {"n": n},
            )
        else:
            messages.success(
                request,
                ngettext("%(n)d report rejected.", "%(n)d reports rejected.", n) % {"n": n},
            )
    return redirect(
        queue_url(
            request,
            "moderation_reports",
            action=as_int(request.POST.get("action")),
            page=as_int(request.POST.get("page")),
        )
    )


urlpatterns = [
    path("moderation/", comments, name="moderation_comments"),
    path("moderation/decide/", decide_comments, name="moderation_decide_comments"),
    path("moderation/reported/", reported, name="moderation_reported"),
    path("moderation/reports/", reports, name="moderation_reports"),
    path("moderation/reports/decide/", decide_reports, name="moderation_decide_reports"),
]
