"""The dashboard's numbers: every breakdown adds up to the public count (invariant 1)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from outcry.actions import services as actions
from outcry.actions.models import ActionReport
from outcry.campaigns.models import Role
from outcry.fraud.models import Invalidation
from outcry.organiser import stats
from outcry.outbox.models import Message
from outcry.outbox.services import deliver_due
from outcry.signing import services as signing
from outcry.signing.models import Signature
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 10, 14, 30, tzinfo=UTC)


@pytest.fixture
def org():
    return factories.organisation()


@pytest.fixture
def member(client, org):
    user = factories.user(org=org, role=Role.MODERATOR)
    client.force_login(user)
    return user


def petition_page(client, petition):
    url = reverse("stats_petition", kwargs={"org": petition.organisation.slug, "pk": petition.pk})
    response = client.get(url)
    assert response.status_code == 200
    return response


def public_count(client, petition) -> int:
    return client.get(reverse("count_json", args=[petition.slug])).json()["signature_count"]


def sign_and_confirm(petition, email, **provenance):
    signing.sign(
        petition=petition,
        name="Rosa Quispe",
        email=email,
        country=provenance.pop("country", "PE"),
        postcode="",
        name_display="full",
        wants_updates=False,
        language="en",
        **provenance,
    )
    message = factories.messages_to(email)[-1]
    signing.confirm(raw_token=message.context["confirm_url"].rstrip("/").rsplit("/", 1)[-1])


def set_aside(petition, org):
    """Signatures that must not count: waiting, fraudulent and invalidated ones."""
    factories.signature(petition=petition, confirmed=False, country="FR", referrer="x.example")
    factories.signature(petition=petition, confirmed=False, state=Signature.State.FRAUDULENT)
    invalidation = Invalidation.objects.create(organisation=org, reason="a bot")
    factories.signature(
        petition=petition,
        confirmed=False,
        state=Signature.State.INVALIDATED,
        invalidation=invalidation,
        utm_source="bots",
    )


def test_every_breakdown_adds_up_to_the_public_count(client, org, member):
    petition = factories.petition(org=org)
    sign_and_confirm(petition, "a@example.org", referrer="news.example", utm_source="mail")
    sign_and_confirm(petition, "b@example.org", country="ES", utm_source="mail")
    for i in range(3):
        factories.signature(petition=petition, country="GB", referrer=f"site{i}.example")
    factories.signature(
        petition=petition, confirmed_at=timezone.now() - timedelta(days=90), country="CL"
    )
    set_aside(petition, org)

    response = petition_page(client, petition)

    n = response.context["n"]
    assert n.confirmed == public_count(client, petition) == 6
    assert n.matches
    assert sum(n.per_day) + n.before_days == 6 and n.before_days == 1
    assert sum(n.per_hour) + n.before_hours == 6
    for rows in (n.by_country, n.by_referrer, n.by_utm):
        assert sum(count for _key, count in rows) == 6
    assert dict(n.by_country) == {"GB": 3, "PE": 1, "ES": 1, "CL": 1}
    assert dict(n.by_utm) == {"mail": 2, "": 4}
    assert (n.pending, n.fraudulent, n.invalidated) == (1, 1, 1)
    for chart in response.context["charts"]:
        assert chart.total == 6, chart.title


def test_waiting_count_changes_are_applied_before_the_headline(client, org, member):
    petition = factories.petition(org=org)
    for _ in range(4):
        factories.signature(petition=petition)  # confirmed, its count change still waiting
    assert public_count(client, petition) == 0

    n = petition_page(client, petition).context["n"]

    assert n.confirmed == n.public_count == 4
    # The public count JSON is kept PAGE_CACHE_SECONDS; after that it agrees.
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.PAGE_CACHE_SECONDS + 1)):
        assert public_count(client, petition) == 4


def test_a_drifted_public_count_is_shown_beside_the_snapshot_count(client, org, member):
    petition = factories.petition(org=org)
    factories.signature(petition=petition)
    factories.signature(petition=petition)
    signing.apply_count_deltas()
    type(petition).objects.filter(pk=petition.pk).update(signature_count=1)

    response = petition_page(client, petition)

    assert response.context["n"].confirmed == 2 and not response.context["n"].matches
    assert "The public page shows 1 at this moment" in response.content.decode()


def test_signatures_fall_in_the_hour_they_were_confirmed(client, org, member):
    petition = factories.petition(org=org)
    for minutes_ago in (0, 25, 31, 31 + 60, 47 * 60 + 30, 48 * 60 + 30):
        factories.signature(petition=petition, confirmed_at=NOW - timedelta(minutes=minutes_ago))

    with time_machine.travel(NOW, tick=False):
        n = petition_page(client, petition).context["n"]

    assert n.hour_starts[-1] == datetime(2025, 3, 10, 14, tzinfo=UTC)
    assert n.hour_starts[0] == datetime(2025, 3, 8, 15, tzinfo=UTC)
    assert n.per_hour[-1] == 2  # 14:30 and 14:05
    assert n.per_hour[-2] == 1  # 13:59
    assert n.per_hour[-3] == 1  # 12:59
    assert n.per_hour[0] == 1  # 15:00 two days ago
    assert n.before_hours == 1
    assert sum(n.per_hour) == 5


def test_hours_and_days_follow_the_configured_time_zone(client, org, member, settings):
    settings.TIME_ZONE = "Asia/Kolkata"  # UTC+5:30: its hours start at half past in UTC
    petition = factories.petition(org=org)
    factories.signature(petition=petition, confirmed_at=datetime(2025, 3, 10, 13, 35, tzinfo=UTC))
    factories.signature(petition=petition, confirmed_at=datetime(2025, 3, 10, 13, 25, tzinfo=UTC))
    # 23:00 UTC on the 9th is already the 10th in India.
    factories.signature(petition=petition, confirmed_at=datetime(2025, 3, 9, 23, 0, tzinfo=UTC))

    with time_machine.travel(NOW, tick=False):  # 20:00 in India
        n = petition_page(client, petition).context["n"]

    assert n.hour_starts[-1] == datetime(2025, 3, 10, 14, 30, tzinfo=UTC)
    assert n.per_hour[-2] == 1  # 19:05 India, the hour from 19:00
    assert n.per_hour[-3] == 1  # 18:55 India
    assert n.day_starts[-1].isoformat() == "2025-03-10"
    assert n.per_day[-1] == 3 and n.per_day[-2] == 0


def test_days_cover_sixty_days_and_count_the_rest_before(client, org, member):
    petition = factories.petition(org=org)
    for days_ago in (0, 0, 1, 59, 60, 200):
        factories.signature(petition=petition, confirmed_at=NOW - timedelta(days=days_ago))

    with time_machine.travel(NOW, tick=False):
        n = petition_page(client, petition).context["n"]

    assert len(n.per_day) == 60
    assert (n.per_day[-1], n.per_day[-2], n.per_day[0]) == (2, 1, 1)
    assert n.before_days == 2


def test_charts_draw_one_bar_per_row_and_name_themselves(client, org, member):
    petition = factories.petition(org=org)
    countries = ["PE", "ES", "GB", "US", "CL", "MX", "AR", "BO", "BR", "CO"]
    countries += ["EC", "UY", "PY", "VE", "FR", "DE", "IT"]  # 17 countries: 15 and "other"
    for code in countries:
        factories.signature(petition=petition, country=code)

    charts = {c.id: c for c in petition_page(client, petition).context["charts"]}

    bars = {key: len(re.findall(r'<rect class="bar"', str(c.svg))) for key, c in charts.items()}
    assert bars == {"per-hour": 48, "per-day": 60, "by-country": 16, "by-referrer": 1, "by-utm": 1}
    assert charts["by-country"].rows[-1].label == "Other countries"
    assert charts["by-country"].rows[-1].value == 2
    for chart in charts.values():
        svg = str(chart.svg)
        assert re.match(r'<svg class="chart-svg chart-(columns|bars)" role="img"', svg)
        assert f'<title id="{chart.id}-t">{chart.title}</title>' in svg
        assert f'<desc id="{chart.id}-d">' in svg and 'viewBox="0 0 ' in svg


def test_sources_keep_the_top_ten_then_other_then_direct(client, org, member):
    petition = factories.petition(org=org)
    for i in range(12):
        for _ in range(12 - i):
            factories.signature(petition=petition, referrer=f"s{i:02}.example")
    factories.signature(petition=petition)

    n = petition_page(client, petition).context["n"]

    keys = [key for key, _count in n.by_referrer]
    assert keys[:10] == [f"s{i:02}.example" for i in range(10)]
    assert keys[10] is stats.OTHER and n.by_referrer[10][1] == 2 + 1
    assert n.by_referrer[11] == ("", 1)


def test_page_shows_the_numbers_as_tables_and_the_rate_with_its_definition(client, org, member):
    petition = factories.petition(org=org)
    for _ in range(3):
        factories.signature(petition=petition, country="PE", referrer="news.example")
    factories.signature(petition=petition, confirmed=False)
    factories.signature(petition=petition, confirmed=False, state=Signature.State.FRAUDULENT)

    html = petition_page(client, petition).content.decode()

    assert '<th scope="row">Peru</th><td class="num">3</td>' in html
    assert '<th scope="row">news.example</th><td class="num">3</td>' in html
    assert '<th scope="row">Total</th><td class="num">3</td>' in html
    assert "<strong data-count>3</strong> verified signatures" in html
    assert "75%" in html  # 3 of the 4 not set aside
    assert "confirmed ÷ (confirmed + waiting)" in html


def test_a_source_name_cannot_inject_markup_into_the_chart(client, org, member):
    petition = factories.petition(org=org)
    factories.signature(petition=petition, utm_source='<script>alert("x")</script>')

    html = petition_page(client, petition).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html


def test_the_numbers_take_the_same_few_queries_however_many_signed(
    client, org, member, django_assert_max_num_queries
):
    petition = factories.petition(org=org)
    for i in range(30):
        factories.signature(petition=petition, country=["PE", "ES", "GB"][i % 3])
    with django_assert_max_num_queries(20):
        petition_page(client, petition)


def report(action, **counts):
    data = {**{f: 0 for f, _label in actions.CHANNELS}, "country": "PE", **counts}
    return actions.save_report(action=action, data=data, targets=[], language="en")


def test_urgent_action_numbers_are_the_public_totals(client, org, member):
    action = factories.urgent_action(org=org)
    report(action, letters=2, calls=1, email="ana@example.org")
    report(action, letters=1, country="ES")
    report(action, letters=25)  # implausible: held
    rejected = report(action, calls=1)
    ActionReport.objects.filter(pk=rejected.pk).update(status=ActionReport.Status.REJECTED)
    late = report(action, faxes=1, country="CL")
    ActionReport.objects.filter(pk=late.pk).update(late=True)
    actions.request_letters(
        action=action,
        name="Rosa",
        email="rosa@example.org",
        country="PE",
        language="es",
        drafts=[actions.Draft(target=action.ordered_targets()[0], subject="s", body="b")],
    )
    confirm = Message.objects.get(template="actions/email/confirm_letters")
    actions.confirm_letters(raw_token=confirm.context["confirm_url"].rstrip("/").split("/")[-1])
    deliver_due(now=timezone.now() + timedelta(hours=1))
    url = reverse("stats_action", kwargs={"org": org.slug, "pk": action.pk})

    response = client.get(url)

    totals = actions.totals(action)
    n = response.context["n"]
    assert n.totals == totals
    assert (n.counted, n.held, n.rejected, n.late) == (3, 1, 1, 1)
    channels, countries = response.context["charts"]
    assert channels.total == totals.actions == 6
    assert [r.value for r in channels.rows] == [t for _f, _l, t in totals.channels]
    assert countries.total == totals.people == 4
    assert len(re.findall(r'<rect class="bar"', str(channels.svg))) == 7
    html = response.content.decode()
    assert "<strong>4</strong> people took action, <strong>6</strong> actions in all" in html
    assert '<th scope="row">Letters by post</th><td class="num">3</td>' in html
    assert totals.emails_through_outcry == 1
