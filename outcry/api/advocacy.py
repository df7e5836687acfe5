"""OSDI advocacy campaigns (urgent actions) and outreaches (action reports and the
letters activists sent through Outcry), and the record outreach helper."""

from typing import Literal

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db.models import CharField, Count, Q, Value
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_countries import countries
from ninja import Query, Router
from ninja.errors import HttpError
from ninja.responses import Status

from outcry.actions import services as actions
from outcry.actions.models import CHANNELS, ActionReport, LetterBatch, UrgentAction
from outcry.api import auth, render
from outcry.api.hal import (
    CURIES,
    ORIGIN,
    collection,
    date,
    filter_query,
    identifier,
    link,
    parse_filter,
)
from outcry.api.petitions import FIELDS, page_of
from outcry.api.schemas import (
    AdvocacyCampaign,
    AdvocacyCampaignPage,
    Outreach,
    OutreachIn,
    OutreachPage,
    PageParams,
)
from outcry.campaigns.templatetags.outcry import markdown
from outcry.signing.services import absolute

router = Router(auth=auth.read, by_alias=True, tags=["advocacy campaigns"])
CHANNEL_NAMES = [field for field, _label in CHANNELS]
REPORT, LETTERS = "report", "letters"


def actions_of(organisation):
    return UrgentAction.objects.filter(organisation=organisation).annotate(
        n_reports=Count(
            "reports", filter=~Q(reports__status=ActionReport.Status.REJECTED), distinct=True
        ),
        n_writers=Count("batches", filter=Q(batches__confirmed_at__isnull=False), distinct=True),
    )


def campaign_resource(a: UrgentAction) -> dict:
    letters = {letter.language: letter for letter in a.letters.all()}
    letter = letters.get(a.preferred_language) or next(iter(letters.values()), None)
    return {
        "identifiers": [identifier("", a.pk)],
        "origin_system": ORIGIN,
        "created_date": date(a.created_at),
        "modified_date": date(a.modified_at),
        "title": a.headline,
        "description": markdown(a.summary),
        "browser_url": absolute(a.get_absolute_url()),
        "featured_image_url": render.image_url(a.image),
        "type": "email",
        "template": letter.body if letter else "",
        "targets": [render.target(link_.target, link_.group) for link_ in a.casetarget_set.all()],
        "total_outreaches": a.n_reports + a.n_writers,
        "outcry:case_number": a.number,
        "outcry:status": a.status,
        "outcry:country": a.country.code,
        "outcry:people_at_risk": a.people_at_risk,
        "outcry:preferred_language": a.preferred_language,
        "outcry:deadline": a.deadline.isoformat() if a.deadline else None,
        "outcry:follows": identifier("", a.follows_id) if a.follows_id else None,
        "_links": {
            "self": link(f"advocacy_campaigns/{a.pk}"),
            "osdi:outreaches": link(f"advocacy_campaigns/{a.pk}/outreaches"),
            "osdi:record_outreach_helper": link(f"advocacy_campaigns/{a.pk}/outreaches"),
            "curies": CURIES,
        },
    }


def campaign_resources(rows) -> list[dict]:
    return [campaign_resource(a) for a in rows]


def _with_details(queryset):
    return queryset.prefetch_related("letters", "casetarget_set__target").order_by("id")


@router.get(
    "advocacy_campaigns",
    response=AdvocacyCampaignPage,
    summary="The organisation's urgent actions",
)
def campaign_list(request, params: Query[PageParams]):
    return page_of(
        path="advocacy_campaigns",
        rel="osdi:advocacy_campaigns",
        queryset=_with_details(actions_of(request.auth.organisation)),
        params=params,
        render_rows=campaign_resources,
    )


@router.get("advocacy_campaigns/{pk}", response=AdvocacyCampaign, summary="One urgent action")
def campaign_detail(request, pk: int):
    queryset = _with_details(actions_of(request.auth.organisation))
    return campaign_resource(get_object_or_404(queryset, pk=pk))


# Outreaches come from two tables; one ordered list of (kind, id) pages through both.
class Outreaches:
    """A countable, sliceable union of reports and confirmed letter batches, oldest first."""

    def __init__(self, organisation, *, action=None, filter_text=None):
        reports = ActionReport.objects.filter(action__organisation=organisation)
        batches = LetterBatch.objects.filter(
            action__organisation=organisation, confirmed_at__isnull=False
        )
        if action is not None:
            reports, batches = reports.filter(action=action), batches.filter(action=action)
        self.reports = reports.filter(
            parse_filter(filter_text, {"modified_date": "updated_at", "created_date": "created_at"})
        )
        self.batches = batches.filter(parse_filter(filter_text, FIELDS))

    def count(self):
        return self.reports.count() + self.batches.count()

    def __getitem__(self, window):
        kind = CharField()
        union = (
            self.reports.annotate(kind=Value(REPORT, output_field=kind))
            .values_list("kind", "id", "created_at")
            .union(
                self.batches.annotate(kind=Value(LETTERS, output_field=kind)).values_list(
                    "kind", "id", "created_at"
                ),
                all=True,
            )
            .order_by("created_at", "kind", "id")
        )
        return list(union[window])


def _person(*, email, country, language, wants_updates, name=""):
    return render.person(
        name=name, email=email, country=country, languages=[language], wants_updates=wants_updates
    )


def report_resource(r: ActionReport) -> dict:
    return {
        "identifiers": [identifier(REPORT, r.pk)],
        "origin_system": ORIGIN,
        "created_date": date(r.created_at),
        "modified_date": date(r.updated_at),
        "type": "report",
        "subject": None,
        "targets": [render.target(t) for t in r.targets.all()],
        "outcry:channels": {f: getattr(r, f) for f in CHANNEL_NAMES},
        "outcry:status": r.status,
        "outcry:late": r.late,
        "outcry:country": r.country.code,
        "_links": {
            "self": link(f"outreaches/{REPORT}-{r.pk}"),
            "osdi:advocacy_campaign": link(f"advocacy_campaigns/{r.action_id}"),
        },
        "_embedded": {
            "osdi:person": _person(
                email=r.email,
                country=r.country.code,
                language=r.language,
                wants_updates=r.wants_updates,
            )
        },
    }


def batch_resource(b: LetterBatch) -> dict:
    letters = list(b.letters.all())
    sent = sum(1 for letter in letters if letter.message and letter.message.state == "sent")
    return {
        "identifiers": [identifier(LETTERS, b.pk)],
        "origin_system": ORIGIN,
        "created_date": date(b.created_at),
        "modified_date": date(b.modified_at),
        "type": "email",
        "subject": letters[0].subject if letters else None,
        "targets": [render.target(letter.target) for letter in letters],
        "outcry:channels": {f: (sent if f == "emails" else 0) for f in CHANNEL_NAMES},
        "outcry:status": "sent" if letters and sent == len(letters) else "sending",
        "outcry:late": False,
        "outcry:country": b.country.code,
        "_links": {
            "self": link(f"outreaches/{LETTERS}-{b.pk}"),
            "osdi:advocacy_campaign": link(f"advocacy_campaigns/{b.action_id}"),
        },
        "_embedded": {
            "osdi:person": _person(
                name=b.name,
                email=b.email,
                country=b.country.code,
                language=b.language,
                wants_updates=False,
            )
        },
    }


def outreach_resources(rows) -> list[dict]:
    ids = {REPORT: [], LETTERS: []}
    for kind, pk, _at in rows:
        ids[kind].append(pk)
    reports = ActionReport.objects.prefetch_related("targets").in_bulk(ids[REPORT])
    batches = LetterBatch.objects.prefetch_related("letters__target", "letters__message").in_bulk(
        ids[LETTERS]
    )
    return [
        report_resource(reports[pk]) if kind == REPORT else batch_resource(batches[pk])
        for kind, pk, _at in rows
    ]


def outreach_page(request, *, path, params: PageParams, action=None):
    return collection(
        path=path,
        rel="osdi:outreaches",
        queryset=Outreaches(request.auth.organisation, action=action, filter_text=params.filter),
        page=params.page,
        per_page=params.per_page,
        render=outreach_resources,
        query=filter_query(params.filter),
    )


@router.get("outreaches", response=OutreachPage, summary="Every outreach of the organisation")
def outreach_list(request, params: Query[PageParams]):
    return outreach_page(request, path="outreaches", params=params)


@router.get(
    "advocacy_campaigns/{pk}/outreaches",
    response=OutreachPage,
    summary="An urgent action's outreaches",
)
def campaign_outreaches(request, pk: int, params: Query[PageParams]):
    action = get_object_or_404(UrgentAction.objects, organisation=request.auth.organisation, pk=pk)
    return outreach_page(
        request, path=f"advocacy_campaigns/{pk}/outreaches", params=params, action=action
    )


@router.get("outreaches/{kind}-{pk}", response=Outreach, summary="One outreach")
def outreach_detail(request, kind: Literal["report", "letters"], pk: int):
    org = request.auth.organisation
    if kind == REPORT:
        report = get_object_or_404(ActionReport.objects, action__organisation=org, pk=pk)
        return report_resource(report)
    batch = get_object_or_404(
        LetterBatch.objects, action__organisation=org, confirmed_at__isnull=False, pk=pk
    )
    return batch_resource(batch)


def _report_data(body: OutreachIn, action: UrgentAction) -> tuple[dict, list, str]:
    """save_report's data from an OSDI outreach, or a 422 naming what to fix."""
    problems = []
    unknown = sorted(set(body.channels) - set(CHANNEL_NAMES))
    if unknown:
        problems.append(
            _("Unknown channels %(unknown)s; the channels are %(channels)s.")
            % {"unknown": ", ".join(unknown), "channels": ", ".join(CHANNEL_NAMES)}
        )
    counts = {f: body.channels.get(f, 0) for f in CHANNEL_NAMES}
    if any(not 0 <= n <= 999 for n in counts.values()):
        problems.append(_("Each channel counts from 0 to 999 actions."))
    elif not any(counts.values()):
        problems.append(_("Report at least one action in outcry:channels."))
    person = body.person
    email = person.email_addresses[0].address.strip() if person.email_addresses else ""
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            problems.append(_("%(email)s is not an e-mail address.") % {"email": repr(email)})
    country = person.postal_addresses[0].country.strip().upper()
    if country not in countries:
        problems.append(
            _("%(country)s is not a country code like PE or ES.") % {"country": repr(country)}
        )
    language = next(iter(person.languages_spoken), "") or action.preferred_language
    if language not in dict(settings.LANGUAGES):
        problems.append(
            _("Outcry writes to activists in %(languages)s, not %(language)s.")
            % {"languages": ", ".join(dict(settings.LANGUAGES)), "language": repr(language)}
        )
    wanted = {ref for t in body.targets for ref in t.identifiers}
    targets = [t for t in action.targets.all() if identifier("", t.pk) in wanted]
    if len(targets) != len(wanted):
        problems.append(
            _(
                "Some targets are not targets of this urgent action; use the identifiers "
                "listed in its targets."
            )
        )
    if problems:
        raise HttpError(422, " ".join(problems))
    data = {**counts, "country": country, "email": email, "wants_updates": body.wants_updates}
    return data, targets, language


@router.post(
    "advocacy_campaigns/{pk}/outreaches",
    auth=auth.write,
    response={201: Outreach},
    summary="Record an outreach (OSDI record outreach helper)",
    description=(
        "Records an activist's report of what they did on the urgent action, as its "
        "report form does; implausible numbers wait for an organiser (outcry:status held)."
    ),
)
def record_outreach(request, pk: int, body: OutreachIn):
    action = get_object_or_404(
        UrgentAction.objects.published(), organisation=request.auth.organisation, pk=pk
    )
    data, targets, language = _report_data(body, action)
    report = actions.save_report(action=action, data=data, targets=targets, language=language)
    return Status(201, report_resource(report))
