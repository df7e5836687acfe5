from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from outcry.actions.models import UrgentAction
from outcry.api.public import cacheable, count_payload
from outcry.campaigns import pagecache
from outcry.campaigns.context_processors import language_links
from outcry.campaigns.forms import CommentForm
from outcry.campaigns.models import Comment, Petition
from outcry.campaigns.services import (
    FLAG_REASON_MAX,
    already_flagged,
    flag_comment,
    post_comment,
    reportable_comment,
)
from outcry.guard.bots import STARTED
from outcry.guard.limits import rate_limited
from outcry.signing.forms import SignatureForm
from outcry.signing.models import Signature
from outcry.signing.provenance import guess_country, referrer_host

SIGNERS_PER_PAGE = 10
RECENT_SIGNERS = 5


def published_petition(slug):
    return get_object_or_404(Petition.objects.published().select_related("target"), slug=slug)


@require_GET
def home(request):
    context = {
        "petitions": Petition.objects.open()
        .filter(archived_at__isnull=True)
        .select_related("target"),
        "urgent_actions": UrgentAction.objects.open().filter(archived_at__isnull=True),
    }
    return pagecache.public(request, render(request, "campaigns/home.html", context))


@require_GET
def archive(request):
    context = {
        "petitions": Petition.objects.closed()
        .filter(archived_at__isnull=True)
        .select_related("target"),
        "urgent_actions": UrgentAction.objects.closed().filter(archived_at__isnull=True),
    }
    return pagecache.public(request, render(request, "campaigns/archive.html", context))


def render_petition(
    request, petition, *, form=None, comment_form=None, status=200, error="", holes=None
):
    """The petition page; with `holes` (outcry.campaigns.pagecache) its per-visitor
    values are markers, filled in for each visitor from the cached copy."""
    if holes:
        started = {STARTED: holes["started"]}
        visitor = {"referrer": holes["referrer"], "utm_source": holes["utm_source"]}
    else:
        started = {}
        visitor = {
            "referrer": referrer_host(request),
            "utm_source": request.GET.get("utm_source", "")[:100],
        }
    context = {
        "petition": petition,
        "form": form
        or SignatureForm(
            campaign=petition,
            initial={"country": guess_country(request), **visitor, **started},
        ),
        "comment_form": comment_form or CommentForm(campaign=petition, initial=started),
        "recent_signers": Signature.objects.confirmed()
        .filter(petition=petition)
        .order_by("-confirmed_at", "-id")[:RECENT_SIGNERS],
        "comments": petition.comments.filter(status=Comment.Status.APPROVED)[:20],
        "updates": petition.updates.all()[:10],
        "is_open": petition.is_open(),
        "error": error,
        "revisions": petition.revisions.all(),
        "page_url": settings.SITE_URL + petition.get_absolute_url(),
        "language_links": language_links(petition.get_absolute_url()),
    }
    if holes:
        context["csrf_token"] = holes["csrf_token"]
    return render(request, "campaigns/petition.html", context, status=status)


@require_GET
def petition_detail(request, slug):
    return pagecache.page(
        request, lambda holes: render_petition(request, published_petition(slug), holes=holes)
    )


@require_GET
def signatures(request, slug):
    petition = published_petition(slug)
    page = Signature.objects.signers_page(
        petition,
        size=SIGNERS_PER_PAGE,
        before=request.GET.get("before"),
        after=request.GET.get("after"),
    )
    # The heading uses the petition's aggregated count, the one number the site
    # shows everywhere, rather than a COUNT(*) per page view.
    context = {"petition": petition, "page": page}
    return pagecache.public(request, render(request, "campaigns/signatures.html", context))


@require_POST
@rate_limited("comment")
def comment(request, slug):
    petition = published_petition(slug)
    form = CommentForm(request.POST, campaign=petition)
    if not form.is_valid():
        return render_petition(request, petition, comment_form=form, status=400)
    if form.turned_away:  # a robot: sent where a comment would go, and nothing is written
        held = petition.comments_premoderated
    else:
        held = post_comment(petition=petition, **form.cleaned_data).status == Comment.Status.PENDING
    return redirect("comment_thanks" if held else "petition", slug=petition.slug)


@require_GET
def comment_thanks(request, slug):
    page = render(request, "campaigns/comment_thanks.html", {"petition": published_petition(slug)})
    return pagecache.public(request, page)


@require_GET
def count_json(request, slug):
    response = JsonResponse(count_payload(published_petition(slug)))
    cacheable(response)
    # The same for everyone: PageCacheMiddleware keeps it whole for a few seconds.
    return pagecache.share(request, response)


@require_http_methods(["GET", "POST"])
@rate_limited("flag")
def report_comment(request, slug, pk):
    """Ask for an optional reason, record the report, then thank (post, redirect, get)."""
    comment = reportable_comment(slug=slug, pk=pk)
    if comment is None:
        raise Http404
    reason = request.POST.get("reason", "").strip()
    error = ""
    if request.method == "POST":
        if len(reason) <= FLAG_REASON_MAX:
            # A second report from the same browser changes nothing and thanks again.
            flag_comment(comment=comment, reason=reason, session=request.session)
            return redirect("report_comment", slug=slug, pk=pk)
        error = gettext("Please keep the reason to %(limit)d characters at most.") % {
            "limit": FLAG_REASON_MAX
        }
    return render(
        request,
        "campaigns/report_comment.html",
        {
            "comment": comment,
            "petition": comment.petition,
            "reported": already_flagged(comment=comment, session=request.session),
            "reason": reason,
            "reason_max": FLAG_REASON_MAX,
            "error": error,
        },
        status=400 if error else 200,
    )
