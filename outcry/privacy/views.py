"""The "my data" pages. A GET only shows; every change is a POST button."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from outcry.guard.limits import limit, rate_limited
from outcry.outbox.services import enqueue
from outcry.privacy import links, services
from outcry.privacy.digest import email_digest
from outcry.privacy.forms import EraseForm, LinkRequestForm


def private(response):
    # Personal data behind a secret link: no shared cache keeps a copy.
    patch_cache_control(response, no_store=True, private=True)
    return response


def send_link(email: str, language: str) -> None:
    """E-mail a fresh link, a few times an hour per address at most, silently."""
    per = settings.MY_DATA_LINKS_PER_ADDRESS_PER_HOUR
    if limit(f"my_data_mail:{email_digest(email)}", per=per, seconds=3600) is None:
        # The link itself is added by the outbox at sending time, as in every e-mail,
        # so no working token waits in the outbox table.
        enqueue(to=email, template="privacy/email/link", context={}, language=language)


@require_http_methods(["GET", "POST"])
@rate_limited("my_data_link")
def request_link(request):
    form = LinkRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The same answer whether or not Outcry holds anything for the address.
        if not form.turned_away:
            send_link(form.cleaned_data["email"], get_language())
        return link_sent(request)
    status = 400 if form.is_bound else 200
    return private(render(request, "privacy/request.html", {"form": form}, status=status))


def link_sent(request):
    context = {"my_data_days": settings.MY_DATA_LINK_DAYS}
    return private(render(request, "privacy/link_sent.html", context))


def _holder(token):
    holder = links.holder(token)
    if holder is None:
        raise Http404
    return holder


@require_http_methods(["GET", "POST"])
@rate_limited("my_data")
def my_data(request, token):
    holder = links.holder(token)
    if holder is None:
        return private(render(request, "privacy/invalid.html", status=404))
    if holder.expired:
        if request.method == "POST":
            send_link(holder.email, get_language())
            return link_sent(request)
        return private(render(request, "privacy/expired.html", status=410))
    erase_form = EraseForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "withdraw":
            try:
                signature_id = int(request.POST.get("signature", ""))
            except ValueError:
                signature_id = 0
            withdrawn = services.withdraw_signature(email=holder.email, signature_id=signature_id)
            if withdrawn:
                messages.success(
                    request,
                    _("Your signature on “%(title)s” is withdrawn.")
                    % {"title": withdrawn.petition.title},
                )
            else:
                messages.info(request, _("That signature is no longer here."))
            return redirect("my_data", token=token)
        if action == "stop_updates":
            services.stop_all_updates(email=holder.email)
            messages.success(request, _("You will get no more updates from any campaign."))
            return redirect("my_data", token=token)
        if action == "erase":
            erase_form = EraseForm(request.POST)
            if erase_form.is_valid():
                services.erase(email=holder.email)
                messages.success(request, _("Your data is erased."))
                return redirect("my_data", token=token)
        elif action == "send_link":
            send_link(holder.email, get_language())
            return link_sent(request)
        else:
            return private(render(request, "privacy/invalid.html", status=400))
    held = services.records_for(holder.email)
    context = {
        "email": holder.email,
        "token": token,
        "signatures": held.signatures.select_related("petition").order_by("-created_at"),
        "batches": held.batches.select_related("action").order_by("-created_at"),
        "reports": held.reports.select_related("action").order_by("-created_at"),
        "comments": held.comments.select_related("petition").order_by("-created_at"),
        "consents": held.consents.select_related("text").order_by("-created_at", "-id"),
        "erase_form": erase_form,
    }
    status = 400 if erase_form.errors else 200
    return private(render(request, "privacy/my_data.html", context, status=status))


@require_GET
def download(request, token):
    holder = _holder(token)
    if holder.expired:
        raise Http404
    response = JsonResponse(
        services.export(holder.email), json_dumps_params={"indent": 2, "ensure_ascii": False}
    )
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return private(response)
