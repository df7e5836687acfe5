"""Atom feeds of the campaigns and of each campaign's updates."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from outcry.campaigns.models import PetitionUpdate
from tests import factories

pytestmark = pytest.mark.django_db

NS = {"atom": "http://www.w3.org/2005/Atom"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def atom(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 (our own feed, in a test)
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    # What RFC 4287 requires of a feed and of each entry.
    for required in ("atom:id", "atom:title", "atom:updated", "atom:author/atom:name"):
        assert feed.find(required, NS) is not None, required
    for entry in feed.findall("atom:entry", NS):
        for required in ("atom:id", "atom:title", "atom:updated", "atom:link"):
            assert entry.find(required, NS) is not None, required
    return response, feed


def titles(feed):
    return [e.findtext("atom:title", namespaces=NS) for e in feed.findall("atom:entry", NS)]


def links(feed):
    return [e.find("atom:link", NS).get("href") for e in feed.findall("atom:entry", NS)]


@pytest.fixture
def campaigns():
    now = timezone.now()
    org = factories.organisation(name="Amnistía Perú")
    older = factories.petition(
        org=org, title="Free the Lima 18", published_at=now - timedelta(days=3)
    )
    newer = factories.petition(
        org=org, title="Justicia para Rosa", language="es", published_at=now - timedelta(days=1)
    )
    action = factories.urgent_action(org=org, published_at=now - timedelta(days=2))
    factories.petition(org=org, title="A draft", published_at=None)
    factories.petition(org=org, title="Scheduled", published_at=now + timedelta(days=1))
    factories.petition(org=org, title="Archived", archived_at=now)
    return older, newer, action


@pytest.mark.parametrize("language", ["en", "es"])
def test_campaigns_feed_lists_published_campaigns_newest_first(client, campaigns, language):
    older, newer, action = campaigns
    with translation.override(language):
        url = reverse("campaigns_feed")
        response, feed = atom(client, url)
        heading = translation.gettext("%(site)s: petitions and urgent actions") % {"site": "Outcry"}
    assert feed.findtext("atom:title", namespaces=NS) == heading
    assert titles(feed) == [
        "Justicia para Rosa",
        f"{action.number}: {action.headline}",
        "Free the Lima 18",
    ]
    assert links(feed)[0] == f"http://127.0.0.1:8000/{language}/petitions/{newer.slug}/"
    entries = feed.findall("atom:entry", NS)
    assert entries[0].get(XML_LANG) == "es" and entries[2].get(XML_LANG) == "en"
    assert entries[0].findtext("atom:author/atom:name", namespaces=NS) == "Amnistía Perú"
    assert entries[0].findtext("atom:summary", namespaces=NS) == newer.goal
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]


def test_a_feed_answers_a_conditional_get_with_304(client, campaigns):
    first = client.get(reverse("campaigns_feed"))
    assert first["ETag"]
    again = client.get(reverse("campaigns_feed"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and not again.content


def test_petition_feed_holds_its_published_updates_as_html(client, campaigns):
    _older, petition, _action = campaigns
    shown = PetitionUpdate.objects.create(
        petition=petition,
        title="Entregamos las firmas",
        body="Las **firmas** llegaron. <script>alert(1)</script>",
        published_at=timezone.now() - timedelta(hours=1),
    )
    PetitionUpdate.objects.create(
        petition=petition,
        title="Not yet",
        body="Later.",
        published_at=timezone.now() + timedelta(days=1),
    )
    with translation.override("es"):
        _response, feed = atom(client, reverse("petition_feed", args=[petition.slug]))
    assert feed.findtext("atom:title", namespaces=NS) == f"Novedades de “{petition.title}”"
    assert titles(feed) == ["Entregamos las firmas"]
    entry = feed.find("atom:entry", NS)
    assert entry.get(XML_LANG) == "es"
    summary = entry.find("atom:summary", NS)
    assert summary.get("type") == "html"
    assert "<strong>firmas</strong>" in summary.text and "<script>" not in summary.text
    assert links(feed) == [f"http://127.0.0.1:8000/es/petitions/{petition.slug}/#update-{shown.pk}"]
    # The link lands on the update itself.
    page = client.get(f"/es/petitions/{petition.slug}/").content.decode()
    assert f'id="update-{shown.pk}"' in page


def test_urgent_action_feed_holds_the_case_and_its_follow_ups(client):
    first = factories.urgent_action(
        headline="Protesters detained", published_at=timezone.now() - timedelta(days=9)
    )
    follow_up = factories.urgent_action(
        org=first.organisation,
        follows=first,
        headline="Protesters released",
        published_at=timezone.now() - timedelta(days=1),
    )
    factories.urgent_action(
        org=first.organisation, follows=first, headline="Unpublished", published_at=None
    )
    _response, feed = atom(client, reverse("action_feed", args=[first.serial, first.year]))
    assert titles(feed) == [
        f"{follow_up.number}: Protesters released",
        f"{first.number}: Protesters detained",
    ]
    # The follow-up's own feed is the same case.
    _response, again = atom(client, reverse("action_feed", args=[follow_up.serial, 2022]))
    assert titles(again) == titles(feed)


def test_feeds_of_unknown_or_unpublished_campaigns_are_not_found(client):
    draft = factories.petition(published_at=None)
    assert client.get(reverse("petition_feed", args=[draft.slug])).status_code == 404
    assert client.get(reverse("petition_feed", args=["no-such"])).status_code == 404
    assert client.get(reverse("action_feed", args=[999, 2022])).status_code == 404


def test_pages_link_to_their_feeds(client, campaigns):
    _older, petition, action = campaigns
    for page, feed in [
        (reverse("home"), reverse("campaigns_feed")),
        (petition.get_absolute_url(), reverse("petition_feed", args=[petition.slug])),
        (action.get_absolute_url(), reverse("action_feed", args=[action.serial, action.year])),
    ]:
        html = client.get(page).content.decode()
        assert f'<link rel="alternate" type="application/atom+xml" href="{feed}"' in html, page
