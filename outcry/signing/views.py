from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from outcry.campaigns import pagecache
from outcry.campaigns.models import Petition
from outcry.campaigns.views import published_petition, render_petition
from outcry.fraud.rules import ip_verdict
from outcry.guard.limits import rate_limited
from outcry.signing import services
from outcry.signing.forms import SignatureForm
from outcry.signing.provenance import client_ip, ip_hash

# What signing reads of a petition: is_open(), the IP lists, the e-mail, the redirect.
SIGN_FIELDS = ("organisation_id", "slug", "title", "published_at", "closed_at", "deadline")


@require_POST
@rate_limited("sign")
def sign(request, slug):
    # Only what a signature needs: the texts are most of the row, and compiling the
    # query for all of them cost more than running it. A re-shown page fetches the
    # whole petition (published_petition).
    petition = get_object_or_404(Petition.objects.published().only(*SIGN_FIELDS), slug=slug)
    closed = _("This petition is closed to new signatures.")
    if not petition.is_open():
        return render_petition(request, published_petition(slug), status=403, error=closed)
    form = SignatureForm(request.POST, campaign=petition)
    try:
        sign_if_valid(request, petition=petition, form=form)
    except services.PetitionClosed:  # closed between the check above and now
        return render_petition(request, published_petition(slug), status=403, error=closed)
    if not form.is_valid():
        return render_petition(request, published_petition(slug), form=form, status=400)
    # A robot (form.turned_away) is thanked like anyone, and nothing was written.
    return redirect("thanks", slug=petition.slug)


def sign_if_valid(request, *, petition: Petition, form: SignatureForm) -> None:
    """Validate the sign form and, for a person, record the signature.

    Validation runs before the transaction (on SQLite, BEGIN IMMEDIATE takes the
    one write lock: every signer waits while it is held). The robot check is spent
    in the signature's transaction, so a signature the database fails to write
    leaves it unspent (database mode) and the visitor's retry still signs.
    """
    if not form.is_valid() or form.turned_away:
        return
    ip = client_ip(request)
    # Only here is the IP itself known: IP-range block/allow lists apply now.
    ip_listed = ip_verdict(organisation_id=petition.organisation_id, ip=ip)
    with transaction.atomic():
        if form.spend_robot_check():
            record_signature(
                request, petition=petition, data=form.cleaned_data, ip_listed=ip_listed
            )


def record_signature(request, *, petition: Petition, data: dict, ip_listed: str) -> None:
    """Sign `petition` with a sign form's cleaned `data`, for the visitor of `request`
    whose IP the organisation's lists judged `ip_listed`. Raises services.PetitionClosed.
    """
    services.sign(
        petition=petition,
        language=get_language(),
        ip_hash=ip_hash(client_ip(request)),
        ip_listed=ip_listed,
        **data,
    )


@require_GET
def thanks(request, slug):
    petition = get_object_or_404(Petition.objects.published(), slug=slug)
    return pagecache.public(request, render(request, "signing/thanks.html", {"petition": petition}))


@require_http_methods(["GET", "POST"])
@rate_limited("confirm")
def confirm(request, token):
    # GET only shows a button: mail scanners that follow links must not sign anyone.
    if request.method == "GET":
        signature = services.signature_for_token(token)
        return render(
            request,
            "signing/confirm.html",
            {"signature": signature, "petition": signature and signature.petition},
            status=200 if signature else 404,
        )
    signature = services.confirm(raw_token=token)
    if signature is None:
        return render(request, "signing/confirm.html", {"signature": None}, status=404)
    return redirect("confirmed", slug=signature.petition.slug)


@require_GET
def confirmed(request, slug):
    petition = published_petition(slug)
    return pagecache.public(
        request, render(request, "signing/confirmed.html", {"petition": petition})
    )


@csrf_exempt  # RFC 8058 one-click unsubscribe posts from the mail client; the token is the proof
@require_http_methods(["GET", "POST"])
@rate_limited("unsubscribe")
def unsubscribe(request, token):
    signature = services.signature_for_unsubscribe(token)
    if signature is None:
        return render(request, "signing/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        services.unsubscribe(signature)
        return render(
            request, "signing/unsubscribe.html", {"done": True, "petition": signature.petition}
        )
    return render(request, "signing/unsubscribe.html", {"petition": signature.petition})
