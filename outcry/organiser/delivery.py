"""Organiser workspace: delivery to the target, the target's response, and exports.

Its addresses sit under /organiser/<org>/. Owners and editors deliver a
campaign's verified count as a PDF packet (downloaded, or e-mailed through the
outbox), log each delivery, record the target's response, mark a petition won,
and export signatures or action reports as CSV. Every step is audited.
"""

import tempfile
from datetime import datetime, time

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from outcry.actions import services as actions
from outcry.actions.models import UrgentAction
from outcry.campaigns.models import Petition
from outcry.organiser import exports, packet
from outcry.organiser.access import EDITORS, member_required, scoped
from outcry.organiser.models import Delivery
from outcry.organiser.services import audit
from outcry.outbox.services import enqueue

# Packets up to this size stay in memory while they are sent; larger ones spill to disk.
SPOOL_BYTES = 16 * 2**20


# The workflow ----------------------------------------------------------------------


def deliver_petition(*, petition: Petition, to: str, by) -> Delivery:
    """Log a delivery of the petition's verified count; e-mail the packet when `to` is given."""
    figures = packet.petition_figures(petition)
    return _log_delivery(
        campaign=petition,
        target=petition.target,
        to=to,
        by=by,
        count=figures.count,
        by_country=figures.by_country,
        as_of=figures.as_of,
    )


def deliver_action(*, action: UrgentAction, target, to: str, by) -> Delivery:
    """Log a delivery of an urgent action's totals (its count: all actions taken)."""
    totals = actions.totals(action)
    return _log_delivery(
        campaign=action,
        target=target,
        to=to,
        by=by,
        count=totals.actions,
        by_country=packet.action_snapshot(totals),
        as_of=timezone.now(),
    )


def _log_delivery(*, campaign, target, to, by, count, by_country, as_of) -> Delivery:
    is_petition = isinstance(campaign, Petition)
    with transaction.atomic():
        delivery = Delivery.objects.create(
            petition=campaign if is_petition else None,
            action=None if is_petition else campaign,
            target=target,
            sent_to=to,
            count=count,
            by_country=by_country,
            created_by=by,
            created_at=as_of,
        )
        if to:
            delivery.message = _email_packet(delivery, campaign, to=to, by=by)
            delivery.save(update_fields=["message"])
        audit(
            organisation=campaign.organisation,
            user=by,
            verb="e-mailed delivery" if to else "recorded delivery",
            subject=str(campaign),
            delivery=delivery.pk,
            count=count,
            to=to or target.name,
        )
    return delivery


def _email_packet(delivery: Delivery, campaign, *, to: str, by):
    target = delivery.target
    language = packet.packet_language(campaign, target)
    with translation.override(language):
        context = {
            "kind": "petition" if delivery.petition_id else "action",
            "greeting": target.greeting(language),
            "campaign": str(campaign),
            "organisation": campaign.organisation.name,
            "count": formats.number_format(delivery.count, force_grouping=True),
            "count_n": delivery.count,
            "date": formats.date_format(timezone.localdate(delivery.created_at), "DATE_FORMAT"),
            "attachments": [{"kind": "delivery_packet", "delivery": delivery.pk}],
        }
    # A reply from the target goes to the organiser who sent it, not to a no-reply box.
    return enqueue(
        to=to,
        reply_to=by.email or "",
        template="organiser/email/delivery",
        language=language,
        context=context,
    )


def record_response(*, petition: Petition, text: str, received_on, by) -> None:
    petition.target_response = text
    petition.target_response_at = timezone.make_aware(datetime.combine(received_on, time(12)))
    with transaction.atomic():
        petition.save(update_fields=["target_response", "target_response_at", "modified_at"])
        audit(
            organisation=petition.organisation,
            user=by,
            verb="recorded target response",
            subject=petition.title,
            received=received_on.isoformat(),
        )


def mark_won(*, petition: Petition, note: str, by, won: bool = True, now=None) -> None:
    petition.won_at = (now or timezone.now()) if won else None
    petition.won_note = note if won else ""
    with transaction.atomic():
        petition.save(update_fields=["won_at", "won_note", "modified_at"])
        audit(
            organisation=petition.organisation,
            user=by,
            verb="marked won" if won else "unmarked won",
            subject=petition.title,
        )


# Forms -------------------------------------------------------------------------------


def delivery_choices(targets) -> list[tuple[str, str]]:
    """ "<target id>|<address>" for each of the targets' e-mail addresses, and "<id>|" by hand."""
    choices = []
    for target in targets:
        choices += [(f"{target.pk}|{email}", f"{target.name} <{email}>") for email in target.emails]
    for target in targets:
        label = _("%(name)s: handed over in person or by post (no e-mail)") % {"name": target.name}
        choices.append((f"{target.pk}|", label))
    return choices


class SendForm(forms.Form):
    to = forms.ChoiceField(
        label=gettext_lazy("Deliver to"),
        error_messages={"required": gettext_lazy("Please choose where the packet goes.")},
    )

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = {t.pk: t for t in targets}
        self.fields["to"].choices = delivery_choices(targets)

    def clean_to(self):
        pk, _bar, email = self.cleaned_data["to"].partition("|")
        return self.targets[int(pk)], email


class ResponseForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("What the target answered"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10_000,
        error_messages={"required": gettext_lazy("Please enter the target's response.")},
    )
    received_on = forms.DateField(
        label=gettext_lazy("Received on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": gettext_lazy("Please enter the date the response came."),
            "invalid": gettext_lazy("Please enter a date like 2026-11-30."),
        },
    )


class WonForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What was won"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5_000,
        required=False,
    )
    won = forms.BooleanField(required=False, initial=True, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("won") and not data.get("note", "").strip():
            self.add_error("note", _("Please say in a sentence what was won."))
        return data


# Views --------------------------------------------------------------------------------


def _petition_page(request, petition, *, send=None, response=None, won=None, status=200):
    figures = packet.petition_figures(petition)
    return render(
        request,
        "organiser/delivery/petition.html",
        {
            "petition": petition,
            "figures": figures,
            "countries": packet.by_country_rows(figures.by_country),
            "deliveries": petition.deliveries.select_related("target", "created_by", "message")[
                :200
            ],
            "send_form": send or SendForm(targets=[petition.target]),
            "response_form": response
            or ResponseForm(
                initial={
                    "text": petition.target_response,
                    "received_on": timezone.localdate(petition.target_response_at)
                    if petition.target_response_at
                    else timezone.localdate(),
                }
            ),
            "won_form": won or WonForm(initial={"note": petition.won_note}),
        },
        status=status,
    )


def _petition(request, pk) -> Petition:
    return scoped(request, Petition.objects.select_related("target", "organisation"), pk=pk)


@member_required(EDITORS)
def petition_delivery(request, pk):
    return _petition_page(request, _petition(request, pk))


@member_required(EDITORS)
@require_POST
def petition_send(request, pk):
    petition = _petition(request, pk)
    form = SendForm(request.POST, targets=[petition.target])
    if not form.is_valid():
        return _petition_page(request, petition, send=form, status=400)
    target, email = form.cleaned_data["to"]
    delivery = deliver_petition(petition=petition, to=email, by=request.user)
    _say_delivered(request, delivery)
    return redirect("delivery_petition", org=request.organisation.slug, pk=petition.pk)


@member_required(EDITORS)
@require_POST
def petition_response(request, pk):
    petition = _petition(request, pk)
    form = ResponseForm(request.POST)
    if not form.is_valid():
        return _petition_page(request, petition, response=form, status=400)
    record_response(petition=petition, by=request.user, **form.cleaned_data)
    messages.success(request, _("The response is recorded and shown on the petition's page."))
    return redirect("delivery_petition", org=request.organisation.slug, pk=petition.pk)


@member_required(EDITORS)
@require_POST
def petition_won(request, pk):
    petition = _petition(request, pk)
    form = WonForm(request.POST)
    if not form.is_valid():
        return _petition_page(request, petition, won=form, status=400)
    mark_won(
        petition=petition,
        note=form.cleaned_data["note"],
        won=form.cleaned_data["won"],
        by=request.user,
    )
    return redirect("delivery_petition", org=request.organisation.slug, pk=petition.pk)


@member_required(EDITORS)
def petition_packet(request, pk):
    """The packet with today's figures, to read before sending. It logs no delivery."""
    petition = _petition(request, pk)
    figures = packet.petition_figures(petition)
    audit(
        organisation=request.organisation,
        user=request.user,
        verb="downloaded delivery packet",
        subject=petition.title,
        count=figures.count,
    )
    return _pdf_response(
        lambda out: packet.petition_packet(
            out, petition=petition, target=petition.target, figures=figures
        ),
        packet.packet_filename(petition, figures.as_of),
    )


@member_required(EDITORS)
def petition_logged_packet(request, pk, delivery):
    petition = _petition(request, pk)
    return _logged_packet(request, get_object_or_404(petition.deliveries, pk=delivery))


def _action_page(request, action, *, send=None, status=200):
    targets = list(action.ordered_targets())
    return render(
        request,
        "organiser/delivery/action.html",
        {
            "action": action,
            "totals": actions.totals(action),
            "deliveries": action.deliveries.select_related("target", "created_by", "message")[:200],
            "send_form": send or SendForm(targets=targets),
        },
        status=status,
    )


def _action(request, pk) -> UrgentAction:
    return scoped(request, UrgentAction.objects.select_related("organisation"), pk=pk)


@member_required(EDITORS)
def action_delivery(request, pk):
    return _action_page(request, _action(request, pk))


@member_required(EDITORS)
@require_POST
def action_send(request, pk):
    action = _action(request, pk)
    form = SendForm(request.POST, targets=list(action.ordered_targets()))
    if not form.is_valid():
        return _action_page(request, action, send=form, status=400)
    target, email = form.cleaned_data["to"]
    delivery = deliver_action(action=action, target=target, to=email, by=request.user)
    _say_delivered(request, delivery)
    return redirect("delivery_action", org=request.organisation.slug, pk=action.pk)


@member_required(EDITORS)
def action_packet(request, pk):
    """The packet with the totals as they stand, to read before sending. It logs no delivery."""
    action = _action(request, pk)
    totals = actions.totals(action)
    audit(
        organisation=request.organisation,
        user=request.user,
        verb="downloaded delivery packet",
        subject=str(action),
        count=totals.actions,
    )
    targets = list(action.ordered_targets()[:1])
    now = timezone.now()
    return _pdf_response(
        lambda out: packet.action_packet(
            out, action=action, target=targets[0] if targets else None, totals=totals, as_of=now
        ),
        packet.packet_filename(action, now),
    )


@member_required(EDITORS)
def action_logged_packet(request, pk, delivery):
    action = _action(request, pk)
    return _logged_packet(request, get_object_or_404(action.deliveries, pk=delivery))


def _logged_packet(request, delivery):
    campaign = delivery.petition or delivery.action
    audit(
        organisation=request.organisation,
        user=request.user,
        verb="downloaded delivery packet",
        subject=str(campaign),
        delivery=delivery.pk,
        count=delivery.count,
    )
    return _pdf_response(
        lambda out: packet.write_delivery_packet(out, delivery),
        packet.packet_filename(campaign, delivery.created_at),
    )


def _pdf_response(write, filename: str) -> FileResponse:
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115  (FileResponse closes it)
    write(out)
    out.seek(0)
    response = FileResponse(
        out, as_attachment=True, filename=filename, content_type="application/pdf"
    )
    response["Cache-Control"] = "no-store"
    return response


def _say_delivered(request, delivery: Delivery) -> None:
    if delivery.sent_to:
        text = _("The packet goes to %(to)s by e-mail; the delivery is logged below.")
        messages.success(request, text % {"to": delivery.sent_to})
    else:
        messages.success(request, _("The delivery is logged below; print its packet from the log."))


@member_required(EDITORS)
def export_signatures(request, pk):
    petition = scoped(request, Petition.objects, pk=pk)
    everything = request.GET.get("all") == "1"
    audit(
        organisation=request.organisation,
        user=request.user,
        verb="exported signatures",
        subject=petition.title,
        which="all" if everything else "confirmed",
    )
    return exports.signatures_csv(petition, confirmed_only=not everything)


@member_required(EDITORS)
def export_reports(request, pk):
    action = scoped(request, UrgentAction.objects, pk=pk)
    audit(
        organisation=request.organisation,
        user=request.user,
        verb="exported action reports",
        subject=str(action),
    )
    return exports.reports_csv(action)


# Pages and downloads take any method: scoped() answers 404 for another organisation's
# object before a method check could tell it exists. Changes are POST-only.
urlpatterns = [
    path("petitions/<int:pk>/delivery/", petition_delivery, name="delivery_petition"),
    path("petitions/<int:pk>/delivery/send/", petition_send, name="delivery_petition_send"),
    path(
        "petitions/<int:pk>/delivery/response/",
        petition_response,
        name="delivery_petition_response",
    ),
    path("petitions/<int:pk>/delivery/won/", petition_won, name="delivery_petition_won"),
    path(
        "petitions/<int:pk>/delivery/packet.pdf", petition_packet, name="delivery_petition_packet"
    ),
    path(
        "petitions/<int:pk>/deliveries/<int:delivery>.pdf",
        petition_logged_packet,
        name="delivery_petition_logged",
    ),
    path("petitions/<int:pk>/signatures.csv", export_signatures, name="delivery_export_signatures"),
    path("actions/<int:pk>/delivery/", action_delivery, name="delivery_action"),
    path("actions/<int:pk>/delivery/send/", action_send, name="delivery_action_send"),
    path("actions/<int:pk>/delivery/packet.pdf", action_packet, name="delivery_action_packet"),
    path(
        "actions/<int:pk>/deliveries/<int:delivery>.pdf",
        action_logged_packet,
        name="delivery_action_logged",
    ),
    path("actions/<int:pk>/reports.csv", export_reports, name="delivery_export_reports"),
]
