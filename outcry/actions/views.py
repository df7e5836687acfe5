from urllib.parse import quote, urlencode

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from outcry.actions import services
from outcry.actions.forms import ReportForm, SendForm, WriteForm
from outcry.actions.models import CHANNELS, CaseTarget, UrgentAction
from outcry.actions.pdf import totals_pdf
from outcry.campaigns import pagecache
from outcry.campaigns.context_processors import language_links
from outcry.guard.limits import rate_limited
from outcry.organiser.access import EVERYONE, member_required, scoped
from outcry.signing.provenance import guess_country

REPORTS_SESSION_KEY = "action_reports"


def published_action(serial, year):
    return get_object_or_404(
        UrgentAction.objects.published().select_related("follows"), serial=serial, year=year
    )


def sample_letter(action, language):
    letters = {letter.language: letter for letter in action.letters.all()}
    return letters.get(language) or letters.get(action.preferred_language)


def render_case(request, action, *, write_form=None, status=200, error="", holes=None):
    """The case page; with `holes` (outcry.campaigns.pagecache) its CSRF token is a
    marker, filled in for each visitor from the cached copy."""
    # The sample is shown in the targets' language unless the visitor asks for theirs.
    shown = request.GET.get("letter") or action.preferred_language
    letter = sample_letter(action, shown)
    write_form = write_form or WriteForm(
        action=action,
        initial={
            "targets": list(action.targets.values_list("pk", flat=True)),
            "language": letter.language if letter else action.preferred_language,
            "subject": letter.subject if letter else "",
            "body": letter.body if letter else "",
        },
    )
    context = {
        "action": action,
        "chain": action.chain(),
        "groups": action.grouped_targets(),
        "letter": letter,
        "other_letters": [x for x in action.letters.all() if not letter or x.pk != letter.pk],
        "write_form": write_form,
        "totals": services.totals(action),
        "takes_letters": action.takes_letters(),
        "deadline_passed": action.deadline_passed(),
        "error": error,
        "language_links": language_links(action.get_absolute_url()),
    }
    if holes:
        context["csrf_token"] = holes["csrf_token"]
    return render(request, "actions/detail.html", context, status=status)


@require_GET
def detail(request, serial, year):
    return pagecache.page(
        request, lambda holes: render_case(request, published_action(serial, year), holes=holes)
    )


def mail_links(address, subject, body):
    # RFC 6068: line breaks in a mailto: body are CRLF.
    crlf = body.replace("\n", "\r\n")
    return {
        "mailto": f"mailto:{address}?"
        + urlencode({"subject": subject, "body": crlf}, quote_via=quote),
        "gmail": "https://mail.google.com/mail/?"
        + urlencode({"view": "cm", "fs": "1", "to": address, "su": subject, "body": body}),
        "outlook": "https://outlook.office.com/mail/deeplink/compose?"
        + urlencode({"to": address, "subject": subject, "body": body}),
    }


@require_POST
@rate_limited("write")
def write(request, serial, year):
    """Show each chosen target's letter with every way to send it. Nothing is stored."""
    action = published_action(serial, year)
    form = WriteForm(request.POST, action=action)
    if not form.is_valid():
        return render_case(request, action, write_form=form, status=400)
    data = form.cleaned_data
    letter = sample_letter(action, data["language"])
    copies = set(
        CaseTarget.objects.filter(action=action, group=CaseTarget.Group.COPY).values_list(
            "target_id", flat=True
        )
    )
    cards = []
    for target in data["targets"]:
        text = services.compose(
            target=target, language=data["language"], body=data["body"], name=data["name"]
        )
        cards.append(
            {
                "target": target,
                "is_copy": target.pk in copies,
                "text": text,
                "mail": [(a, mail_links(a, data["subject"], text)) for a in target.emails],
                "social": list(target.social_profiles()),
            }
        )
    send_form = SendForm(
        action=action,
        initial={
            **data,
            "targets": [t.pk for t in data["targets"]],
            "country": guess_country(request),
        },
    )
    return render(
        request,
        "actions/letters.html",
        {
            "action": action,
            "cards": cards,
            "data": data,
            "call_script": letter.call_script if letter else "",
            "send_form": send_form,
            "can_email": any(t.emails for t in data["targets"]),
            "takes_letters": action.takes_letters(),
            "language_links": language_links(action.get_absolute_url()),
        },
    )


@require_POST
@rate_limited("print")
def print_letter(request, serial, year):
    action = published_action(serial, year)
    form = WriteForm(request.POST, action=action)
    if not form.is_valid():
        return render_case(request, action, write_form=form, status=400)
    data = form.cleaned_data
    letters = [
        {
            "target": target,
            "text": services.compose(
                target=target, language=data["language"], body=data["body"], name=data["name"]
            ),
        }
        for target in data["targets"]
    ]
    return render(
        request,
        "actions/print.html",
        {"action": action, "letters": letters, "data": data, "today": timezone.localdate()},
    )


@require_POST
@rate_limited("send")
def send(request, serial, year):
    action = published_action(serial, year)
    if not action.takes_letters():
        return render_case(request, action, status=403, error=closed_message(action))
    form = SendForm(request.POST, action=action)
    if not form.is_valid():
        return render_case(request, action, write_form=form, status=400)
    if form.turned_away:  # a robot: thanked like anyone, and nothing is written
        return redirect("letters_sent", serial=serial, year=year)
    data = form.cleaned_data
    drafts = [
        services.Draft(
            target=target,
            subject=data["subject"],
            body=services.compose(
                target=target, language=data["language"], body=data["body"], name=data["name"]
            ),
        )
        for target in data["targets"]
        if target.emails
    ]
    if not drafts:
        return render_case(
            request,
            action,
            write_form=form,
            status=400,
            error=_("None of the people you chose has an e-mail address. Print or call instead."),
        )
    try:
        services.request_letters(
            action=action,
            name=data["name"],
            email=data["email"],
            country=data["country"],
            language=get_language(),
            drafts=drafts,
        )
    except services.NotTakingLetters:
        return render_case(request, action, status=403, error=closed_message(action))
    return redirect("letters_sent", serial=serial, year=year)


def closed_message(action):
    if action.status == UrgentAction.Status.CLOSED:
        return _(
            "This action is closed: Outcry no longer sends letters for it. "
            "You can still report what you did."
        )
    return _(
        "The deadline of this action has passed: Outcry no longer sends letters for it. "
        "Check with your national office before sending anything."
    )


@require_GET
def letters_sent(request, serial, year):
    return render(request, "actions/letters_sent.html", {"action": published_action(serial, year)})


@require_http_methods(["GET", "POST"])
@rate_limited("confirm")
def confirm_letters(request, token):
    # GET only shows the button: a mail scanner following the link sends nothing.
    if request.method == "GET":
        batch = services.batch_for_token(token)
        return render(
            request,
            "actions/letters_confirm.html",
            {"batch": batch},
            status=200 if batch else 404,
        )
    try:
        batch = services.confirm_letters(raw_token=token)
    except services.NotTakingLetters:
        batch = services.batch_for_token(token)
        return render(
            request,
            "actions/letters_confirm.html",
            {"batch": batch, "error": closed_message(batch.action)},
            status=403,
        )
    if batch is None:
        return render(request, "actions/letters_confirm.html", {"batch": None}, status=404)
    return redirect("letters_status", token=services.batch_token(batch))


@require_GET
def letters_status(request, token):
    batch = services.batch_for_status(token)
    if batch is None:
        return render(request, "actions/letters_status.html", {"batch": None}, status=404)
    letters = batch.letters.select_related("target", "message").order_by("message__next_attempt_at")
    return render(request, "actions/letters_status.html", {"batch": batch, "letters": letters})


def remembered_report(request, action):
    pk = request.session.get(REPORTS_SESSION_KEY, {}).get(str(action.pk))
    return action.reports.filter(pk=pk).first() if pk else None


def report_form_view(request, action, report):
    if request.method == "POST":
        form = ReportForm(request.POST, action=action)
        if form.is_valid() and form.turned_away:  # a robot: thanked, nothing is written
            return redirect("report_thanks", serial=action.serial, year=action.year)
        if form.is_valid():
            report = services.save_report(
                action=action,
                data=form.cleaned_data,
                targets=form.cleaned_data["targets"],
                language=get_language(),
                report=report,
            )
            remembered = request.session.get(REPORTS_SESSION_KEY, {})
            remembered[str(action.pk)] = report.pk
            request.session[REPORTS_SESSION_KEY] = remembered
            return redirect("report_thanks", serial=action.serial, year=action.year)
        status = 400
    else:
        initial = {"country": guess_country(request)}
        if report is not None:
            initial = {
                **{field: getattr(report, field) for field, _label in CHANNELS},
                "country": report.country,
                "email": report.email,
                "wants_updates": report.wants_updates,
                "targets": list(report.targets.values_list("pk", flat=True)),
            }
        form = ReportForm(action=action, initial=initial)
        status = 200
    return render(
        request,
        "actions/report.html",
        {
            "action": action,
            "form": form,
            "report": report,
            "late": not action.takes_letters(),
            "language_links": language_links(action.get_absolute_url()),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@rate_limited("report")
def report(request, serial, year):
    action = published_action(serial, year)
    return report_form_view(request, action, remembered_report(request, action))


@require_http_methods(["GET", "POST"])
@rate_limited("report")
def amend_report(request, token):
    report = services.report_for_token(token)
    if report is None:
        return render(request, "actions/report_invalid.html", status=404)
    return report_form_view(request, report.action, report)


@require_GET
def report_thanks(request, serial, year):
    action = published_action(serial, year)
    return render(
        request,
        "actions/report_thanks.html",
        {
            "action": action,
            "report": remembered_report(request, action),
            "totals": services.totals(action),
        },
    )


@csrf_exempt  # RFC 8058 one-click from the mail client; the signed token is the proof
@require_http_methods(["GET", "POST"])
@rate_limited("unsubscribe")
def stop_case_updates(request, token):
    if request.method == "GET":
        valid = services.report_for_updates_token(token) is not None
        return render(
            request,
            "actions/stop_updates.html",
            {"invalid": not valid},
            status=200 if valid else 404,
        )
    report = services.stop_case_updates(token)
    return render(
        request,
        "actions/stop_updates.html",
        {"invalid": report is None, "done": True},
        status=200 if report else 404,
    )


@member_required(EVERYONE)
def totals_report(request, pk, fmt="html"):
    """The totals for the officials: only numbers, never a person."""
    action = scoped(request, UrgentAction.objects, pk=pk)
    totals = services.totals(action)
    if fmt == "pdf":
        response = HttpResponse(totals_pdf(action, totals), content_type="application/pdf")
        name = f"{action.number.replace(' ', '-').replace('.', '-')}-totals.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(request, "actions/totals.html", {"action": action, "totals": totals})
