"""Embeds: a campaign's sign form and counter in a frame on another site.

A host page pastes the snippet (`embed_snippet`): `static/outcry/embed.js`
puts an iframe of the pages below into it, in the host page's language. Only
the sites in the campaign's `embed_origins` may frame them (CSP
`frame-ancestors`); every other page of Outcry keeps refusing frames.

Cookies: in a frame on another site the browser may withhold every cookie
(SameSite, third-party cookie blocking), so nothing here uses one. The sign
POST is exempt from the CSRF cookie check for that reason. This is sound: the
anonymous sign form carries no ambient authority (no session, no login; what it
does, anyone can do by posting it themselves), and what CSRF would still let a
third site do, post through a visitor's browser to borrow their IP address
against our per-IP limits, is refused by checking that the browser's `Origin`
(or, lacking it, `Referer`) is this site: the form in the frame is our page.
The signed render time and honeypot of `outcry.guard` apply as on the petition
page, then the same sign service and confirmation e-mail.
"""

from functools import wraps
from urllib.parse import urlsplit

from csp.constants import NONE
from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from outcry.actions.models import UrgentAction
from outcry.actions.services import totals
from outcry.campaigns import pagecache
from outcry.campaigns.models import Petition
from outcry.guard.bots import STARTED
from outcry.guard.limits import rate_limited
from outcry.signing.forms import SignatureForm
from outcry.signing.provenance import guess_country, referrer_host
from outcry.signing.services import PetitionClosed
from outcry.signing.views import sign_if_valid

SCRIPT_PATH = "outcry/embed.js"  # unhashed on purpose: host pages keep the same address
FALLBACK_HEIGHT = 720  # the <noscript> frame cannot be resized


def allow_framing(response, origins: list[str]):
    """Let exactly `origins` frame `response` (nobody, when the list is empty)."""
    # The per-response override django-csp's csp_replace decorator sets; the list
    # belongs to the campaign, so it is known only once the view has found it.
    response._csp_replace = {"frame-ancestors": origins or [NONE]}
    # X-Frame-Options cannot name sites; browsers that read frame-ancestors ignore
    # it anyway. Where nobody may frame the page it stays DENY.
    if origins:
        response.xframe_options_exempt = True
    return response


def frameable(lookup):
    """An embed view gets the campaign `lookup(**url_kwargs)` finds (or a 404) instead of
    the URL's arguments, and every answer it gives, a 429 included, is framed by the
    campaign's allow list."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, **kwargs):
            campaign = lookup(**kwargs)
            return allow_framing(view(request, campaign), campaign.embed_origins)

        return wrapped

    return decorator


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def posted_from_here(request) -> bool:
    """Whether the browser says the POST comes from a page of this site."""
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:  # browsers without Origin send our own pages' Referer to us
        origin = _origin(request.META.get("HTTP_REFERER", ""))
    ours = {
        _origin(settings.SITE_URL),
        f"{request.scheme}://{request.get_host()}".lower(),
        *(o.lower() for o in settings.CSRF_TRUSTED_ORIGINS),
    }
    return origin.lower() in ours


def _petition(*, slug):
    return get_object_or_404(Petition.objects.published().select_related("target"), slug=slug)


def _action(*, serial, year):
    return get_object_or_404(UrgentAction.objects.published(), serial=serial, year=year)


def _render_petition(request, petition, *, form=None, status=200, error="", holes=None):
    """The sign form in a frame; with `holes` (outcry.campaigns.pagecache) its
    per-visitor values are markers, filled in for each visitor from the kept copy."""
    if holes:
        visitor = {name: holes[name] for name in ("referrer", "utm_source")}
        visitor[STARTED] = holes["started"]
    else:
        visitor = {
            # In a frame, the Referer is the host page: the site the signature came from.
            "referrer": referrer_host(request),
            "utm_source": request.GET.get("utm_source", "")[:100],
        }
    form = form or SignatureForm(
        campaign=petition, initial={"country": guess_country(request), **visitor}
    )
    context = {
        "petition": petition,
        "form": form,
        "is_open": petition.is_open(),
        "error": error,
        "page_url": settings.SITE_URL + petition.get_absolute_url(),
    }
    return render(request, "campaigns/embed/petition.html", context, status=status)


@require_GET
@frameable(_petition)
def petition(request, petition):
    # On a news site's article, a frame is opened by every reader: kept like the page.
    return pagecache.page(request, lambda holes: _render_petition(request, petition, holes=holes))


@csrf_exempt  # no cookie reaches a cross-site frame; see the module's docstring
@require_POST
@frameable(_petition)
@rate_limited("sign")
def petition_sign(request, petition):
    if not posted_from_here(request):
        return _render_petition(
            request,
            petition,
            status=403,
            error=_(
                "This form can only be sent from its own page. Please reload it and try again."
            ),
        )
    closed = _("This petition is closed to new signatures.")
    if not petition.is_open():
        return _render_petition(request, petition, status=403, error=closed)
    form = SignatureForm(request.POST, campaign=petition)
    try:
        sign_if_valid(request, petition=petition, form=form)
    except PetitionClosed:
        return _render_petition(request, petition, status=403, error=closed)
    if not form.is_valid():
        return _render_petition(request, petition, form=form, status=400)
    # A robot (form.turned_away) is thanked like anyone, and nothing was written.
    return redirect("embed_thanks", slug=petition.slug)


@require_GET
@frameable(_petition)
def petition_thanks(request, petition):
    page_url = settings.SITE_URL + petition.get_absolute_url()
    page = render(
        request, "campaigns/embed/thanks.html", {"petition": petition, "page_url": page_url}
    )
    return pagecache.public(request, page)


@require_GET
@frameable(_action)
def action(request, action):
    context = {
        "action": action,
        "totals": totals(action),
        "page_url": settings.SITE_URL + action.get_absolute_url(),
    }
    return pagecache.public(request, render(request, "campaigns/embed/action.html", context))


def embed_snippet(campaign, *, language: str) -> str:
    """What an organiser pastes into another site: the script, and a plain frame without it."""
    if isinstance(campaign, Petition):
        kind, key, name = "petition", campaign.slug, "embed_petition"
        args = [campaign.slug]
    else:
        kind, key, name = "action", f"ua-{campaign.serial}-{campaign.year}", "embed_action"
        args = [campaign.serial, campaign.year]
    with override(language):
        frame = settings.SITE_URL + reverse(name, args=args)
    script = settings.SITE_URL + settings.STATIC_URL + SCRIPT_PATH
    title = escape(str(campaign))
    # A plain string, escaped here: templates show it as text and copy it as it is.
    return (
        f'<div data-outcry-{kind}="{escape(key)}" data-title="{title}"></div>\n'
        f'<script src="{escape(script)}" async></script>\n'
        f'<noscript><iframe src="{escape(frame)}" title="{title}" width="100%" '
        f'height="{FALLBACK_HEIGHT}" loading="lazy"></iframe></noscript>'
    )
