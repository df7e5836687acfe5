"""Organiser workspace: stats. Its addresses sit under /organiser/<org>/.

The numbers of one campaign, as charts with their tables. A petition's numbers
are read in one snapshot after the waiting count changes are applied, so every
breakdown of confirmed signatures adds up to the headline, and the headline is
the public count (invariant 1). An urgent action's come from actions.services.totals,
the very numbers its public page and the officials' totals show.
"""

from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate, TruncHour
from django.shortcuts import render
from django.urls import path
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django_countries import countries

from outcry.actions import services as actions
from outcry.actions.models import ActionReport, UrgentAction
from outcry.campaigns.models import Petition
from outcry.organiser.access import EVERYONE, member_required, scoped
from outcry.organiser.charts import Chart, Row, bar_chart, column_chart
from outcry.signing.models import Signature
from outcry.signing.services import apply_count_deltas

HOURS = 48
DAYS = 60
TOP_COUNTRIES = 15
TOP_SOURCES = 10
OTHER = object()  # the key of the "everything else" row, unlike any real value


@contextmanager
def snapshot():
    """One consistent read: REPEATABLE READ on PostgreSQL, SQLite's lock elsewhere.

    The isolation level can only be set first thing in a transaction, so inside
    someone else's atomic block (a test's, say) their snapshot stands.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


@dataclass
class PetitionNumbers:
    petition: Petition  # as read in the snapshot: its signature_count is the public count
    confirmed: int
    pending: int
    fraudulent: int
    invalidated: int
    hour_starts: list[datetime]
    per_hour: list[int]
    before_hours: int
    day_starts: list[date]
    per_day: list[int]
    before_days: int
    by_country: list[tuple[object, int]]  # code or OTHER
    by_referrer: list[tuple[object, int]]  # host, "" for none, or OTHER
    by_utm: list[tuple[object, int]]

    @property
    def public_count(self) -> int:
        return self.petition.signature_count

    @property
    def matches(self) -> bool:
        return self.confirmed == self.public_count

    @property
    def made(self) -> int:
        """Signatures made and not set aside (as fraudulent, or by an invalidation)."""
        return self.confirmed + self.pending

    @property
    def confirmation_percent(self) -> float | None:
        """Of the signatures made and not set aside, the share whose signer confirmed."""
        return 100 * self.confirmed / self.made if self.made else None


def top(rows: Iterable[tuple[object, int]], n: int, *, keep_blank=False) -> list:
    """The n largest rows, then the rest summed into one OTHER row (and the blank one)."""
    rows = sorted(rows, key=lambda r: (-r[1], str(r[0])))
    blank = [r for r in rows if keep_blank and r[0] == ""]
    rows = [r for r in rows if not (keep_blank and r[0] == "")]
    rest = sum(count for _key, count in rows[n:])
    return rows[:n] + ([(OTHER, rest)] if rest else []) + blank


def grouped(queryset, field: str) -> list[tuple[object, int]]:
    return list(queryset.values_list(field).annotate(n=Count("id")).order_by())


def petition_numbers(petition: Petition, *, now=None) -> PetitionNumbers:
    now = now or timezone.now()
    tz = timezone.get_default_timezone()
    # Whole local hours, stepped in UTC so a change of clocks neither skips nor repeats one.
    this_hour = timezone.localtime(now, tz).replace(minute=0, second=0, microsecond=0)
    first_hour = this_hour.astimezone(UTC) - timedelta(hours=HOURS - 1)
    hour_starts = [(first_hour + timedelta(hours=i)).astimezone(tz) for i in range(HOURS)]
    today = timezone.localdate(now, tz)
    day_starts = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    days_from = timezone.make_aware(datetime.combine(day_starts[0], time()), tz)

    apply_count_deltas()
    with snapshot():
        petition = Petition.objects.get(pk=petition.pk)
        signatures = Signature.objects.filter(petition=petition)
        confirmed = signatures.confirmed()
        State = Signature.State
        counts = signatures.aggregate(
            confirmed=Count("id", filter=Q(state=State.CONFIRMED)),
            pending=Count("id", filter=Q(state=State.PENDING)),
            fraudulent=Count("id", filter=Q(state=State.FRAUDULENT)),
            invalidated=Count("id", filter=Q(state=State.INVALIDATED)),
            before_hours=Count(
                "id", filter=Q(state=State.CONFIRMED, confirmed_at__lt=hour_starts[0])
            ),
            before_days=Count("id", filter=Q(state=State.CONFIRMED, confirmed_at__lt=days_from)),
        )
        hourly = dict(
            confirmed.filter(confirmed_at__gte=hour_starts[0])
            .annotate(hour=TruncHour("confirmed_at", tzinfo=tz))
            .values_list("hour")
            .annotate(n=Count("id"))
            .order_by()
        )
        daily = dict(
            confirmed.filter(confirmed_at__gte=days_from)
            .annotate(day=TruncDate("confirmed_at", tzinfo=tz))
            .values_list("day")
            .annotate(n=Count("id"))
            .order_by()
        )
        by_country = grouped(confirmed, "country")
        by_referrer = grouped(confirmed, "referrer")
        by_utm = grouped(confirmed, "utm_source")
    return PetitionNumbers(
        petition=petition,
        hour_starts=hour_starts,
        per_hour=bucketed(hourly, hour_starts),
        day_starts=day_starts,
        per_day=bucketed(daily, day_starts),
        by_country=top(by_country, TOP_COUNTRIES),
        by_referrer=top(by_referrer, TOP_SOURCES, keep_blank=True),
        by_utm=top(by_utm, TOP_SOURCES, keep_blank=True),
        **counts,
    )


def bucketed(counts: dict, starts: list) -> list[int]:
    values = [counts.get(start, 0) for start in starts]
    # A confirmation stamped a moment ahead of our clock still counts: in the latest bucket.
    values[-1] += sum(counts.values()) - sum(values)
    return values


def petition_charts(n: PetitionNumbers) -> list[Chart]:
    """The petition's numbers as charts, labelled in the reader's language."""
    country, signatures = _("Country"), _("Signatures")
    hours = [
        Row(
            formats.date_format(start, "D j M, H:i"),
            value,
            formats.time_format(start, "H:i") if i % 12 == (HOURS - 1) % 12 else "",
        )
        for i, (start, value) in enumerate(zip(n.hour_starts, n.per_hour, strict=True))
    ]
    days = [
        Row(
            formats.date_format(start, "D j M Y"),
            value,
            formats.date_format(start, "j M") if i % 10 == (DAYS - 1) % 10 else "",
        )
        for i, (start, value) in enumerate(zip(n.day_starts, n.per_day, strict=True))
    ]

    before_hours = _("Before %(hour)s") % {
        "hour": formats.date_format(n.hour_starts[0], "D j M, H:i")
    }
    before_days = _("Before %(day)s") % {"day": formats.date_format(n.day_starts[0], "D j M Y")}
    return [
        column_chart(
            Chart(
                "per-hour",
                _("Confirmed signatures per hour, last 48 hours"),
                hours,
                _("Hour starting"),
                signatures,
                more=[Row(before_hours, n.before_hours)],
            )
        ),
        column_chart(
            Chart(
                "per-day",
                _("Confirmed signatures per day, last 60 days"),
                days,
                _("Day"),
                signatures,
                more=[Row(before_days, n.before_days)],
            )
        ),
        bar_chart(
            Chart(
                "by-country",
                _("By country"),
                [
                    Row(_("Other countries") if code is OTHER else countries.name(code), value)
                    for code, value in n.by_country
                ],
                country,
                signatures,
            )
        ),
        bar_chart(
            Chart(
                "by-referrer",
                _("By referring site"),
                sources(n.by_referrer),
                _("Site"),
                signatures,
                note=_("The site whose link a signer followed, when their browser said."),
            )
        ),
        bar_chart(
            Chart(
                "by-utm",
                _("By campaign source (utm_source)"),
                sources(n.by_utm),
                _("utm_source"),
                signatures,
                note=_("The utm_source of the link a signer followed, when it had one."),
            )
        ),
    ]


def sources(rows) -> list[Row]:
    def label(key):
        if key is OTHER:
            return _("Other sources")
        return key or _("Direct or none")

    return [Row(label(key), value) for key, value in rows]


@member_required(EVERYONE)
def petition_stats(request, pk):
    petition = scoped(request, Petition.objects, pk=pk)
    numbers = petition_numbers(petition)
    return render(
        request,
        "organiser/stats/petition.html",
        {
            "petition": numbers.petition,
            "n": numbers,
            "charts": petition_charts(numbers),
            "time_zone": settings.TIME_ZONE,
        },
    )


@dataclass
class ActionNumbers:
    totals: actions.Totals
    counted: int
    held: int
    rejected: int
    late: int  # counted reports made after the deadline: they are in the totals


def action_numbers(action: UrgentAction) -> ActionNumbers:
    Status = ActionReport.Status
    with snapshot():
        totals = actions.totals(action)
        reports = ActionReport.objects.filter(action=action).aggregate(
            counted=Count("id", filter=Q(status=Status.COUNTED)),
            held=Count("id", filter=Q(status=Status.HELD)),
            rejected=Count("id", filter=Q(status=Status.REJECTED)),
            late=Count("id", filter=Q(status=Status.COUNTED, late=True)),
        )
    return ActionNumbers(totals=totals, **reports)


def action_charts(n: ActionNumbers) -> list[Chart]:
    people = top(((code, p) for code, p, _actions in n.totals.by_country), TOP_COUNTRIES)
    return [
        bar_chart(
            Chart(
                "by-channel",
                _("Actions by channel"),
                [Row(str(label), value) for _field, label, value in n.totals.channels],
                _("Channel"),
                _("Actions"),
            )
        ),
        bar_chart(
            Chart(
                "by-country",
                _("People who took action, by country"),
                [
                    Row(
                        _("Other countries") if code is OTHER else countries.name(code) or "—",
                        value,
                    )
                    for code, value in people
                ],
                _("Country"),
                _("People"),
            )
        ),
    ]


@member_required(EVERYONE)
def action_stats(request, pk):
    action = scoped(request, UrgentAction.objects, pk=pk)
    numbers = action_numbers(action)
    return render(
        request,
        "organiser/stats/action.html",
        {"action": action, "n": numbers, "charts": action_charts(numbers)},
    )


urlpatterns = [
    path("petitions/<int:pk>/numbers/", petition_stats, name="stats_petition"),
    path("actions/<int:pk>/numbers/", action_stats, name="stats_action"),
]
