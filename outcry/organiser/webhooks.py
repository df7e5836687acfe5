"""Organiser workspace: webhooks. Owners only; addresses under /organiser/<org>/webhooks/.

The signing secret is shown once, right after it is made: the session holds
only which endpoint may show it, never the secret itself.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from outcry.organiser.access import OWNERS, member_required, scoped
from outcry.webhooks import services
from outcry.webhooks.forms import EndpointForm
from outcry.webhooks.models import Delivery, Endpoint

REVEAL = "webhook_secret_once"
PER_PAGE = 50


def reveal_next_time(request, endpoint: Endpoint) -> None:
    request.session[REVEAL] = endpoint.pk


@member_required(OWNERS)
@require_http_methods(["GET", "POST"])
def endpoints(request):
    org = request.organisation
    form = EndpointForm(request.POST or None, organisation=org)
    if request.method == "POST" and form.is_valid():
        endpoint = services.save_endpoint(endpoint=form.instance, user=request.user)
        reveal_next_time(request, endpoint)
        return redirect("webhook", org=org.slug, pk=endpoint.pk)
    return render(
        request,
        "organiser/webhooks/list.html",
        {"form": form, "endpoints": Endpoint.objects.filter(organisation=org)},
        status=400 if form.errors else 200,
    )


@member_required(OWNERS)
@require_http_methods(["GET", "POST"])
def endpoint(request, pk):
    endpoint = scoped(request, Endpoint.objects, pk=pk)
    form = EndpointForm(request.POST or None, instance=endpoint, organisation=endpoint.organisation)
    if request.method == "POST" and form.is_valid():
        services.save_endpoint(endpoint=form.instance, user=request.user)
        messages.success(request, _("The webhook is saved."))
        return redirect("webhook", org=request.organisation.slug, pk=endpoint.pk)
    deliveries = Paginator(Delivery.objects.filter(endpoint=endpoint), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "organiser/webhooks/endpoint.html",
        {
            "endpoint": endpoint,
            "form": form,
            "secret": endpoint.secret if request.session.pop(REVEAL, None) == pk else None,
            "page": deliveries,
        },
        status=400 if form.errors else 200,
    )


@member_required(OWNERS)
@require_POST
def endpoint_delete(request, pk):
    endpoint = scoped(request, Endpoint.objects, pk=pk)
    services.delete_endpoint(endpoint=endpoint, user=request.user)
    messages.success(request, _("The webhook to %(url)s is deleted.") % {"url": endpoint.url})
    return redirect("webhooks", org=request.organisation.slug)


@member_required(OWNERS)
@require_POST
def endpoint_secret(request, pk):
    endpoint = scoped(request, Endpoint.objects, pk=pk)
    services.roll_secret(endpoint=endpoint, user=request.user)
    reveal_next_time(request, endpoint)
    return redirect("webhook", org=request.organisation.slug, pk=endpoint.pk)


@member_required(OWNERS)
@require_POST
def endpoint_ping(request, pk):
    endpoint = scoped(request, Endpoint.objects, pk=pk)
    services.ping(endpoint=endpoint, user=request.user)
    messages.success(request, _("A test event is on its way; its result shows in the log below."))
    return redirect("webhook", org=request.organisation.slug, pk=endpoint.pk)


@member_required(OWNERS)
@require_POST
def redeliver(request, pk, delivery):
    delivery = scoped(
        request,
        Delivery.objects.select_related("endpoint__organisation"),
        path="endpoint__organisation",
        pk=delivery,
        endpoint_id=pk,
    )
    if services.redeliver(delivery=delivery, user=request.user):
        messages.success(request, _("The delivery is queued again, with the same key."))
    else:
        messages.info(request, _("That delivery is still waiting to go."))
    return redirect("webhook", org=request.organisation.slug, pk=pk)


urlpatterns = [
    path("webhooks/", endpoints, name="webhooks"),
    path("webhooks/<int:pk>/", endpoint, name="webhook"),
    path("webhooks/<int:pk>/delete/", endpoint_delete, name="webhook_delete"),
    path("webhooks/<int:pk>/secret/", endpoint_secret, name="webhook_secret"),
    path("webhooks/<int:pk>/ping/", endpoint_ping, name="webhook_ping"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery>/redeliver/",
        redeliver,
        name="webhook_redeliver",
    ),
]
