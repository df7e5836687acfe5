"""Public JSON: no token, cacheable, counts only."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from outcry.api.public import MAX_AGE
from outcry.signing.services import apply_count_deltas
from tests import factories

pytestmark = pytest.mark.django_db


def test_public_petition_counts_by_country_without_personal_data(client):
    petition = factories.petition()
    factories.signature(
        petition=petition,
        country="PE",
        name="Zoila Secret",
        email="zoila@example.org",
        postcode="15001",
    )
    factories.signature(petition=petition, country="ES")
    factories.signature(petition=petition, country="PE", confirmed=False)
    apply_count_deltas()
    response = client.get(f"/api/public/petitions/{petition.slug}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    doc = response.json()
    assert doc["signature_count"] == 2
    assert doc["signatures_by_country"] == [
        {"country": "ES", "signature_count": 1},
        {"country": "PE", "signature_count": 1},
    ]
    body = response.content.decode()
    for secret in ("Zoila", "zoila@example.org", "15001"):
        assert secret not in body


@pytest.mark.parametrize(
    "path", ["petitions", "petitions/{slug}", "petitions/{slug}/count", "actions"]
)
def test_public_json_is_cacheable_briefly(client, path):
    petition = factories.petition()
    factories.urgent_action()
    response = client.get("/api/public/" + path.format(slug=petition.slug))
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "public" in cache_control and "max-age=5" in cache_control
    assert "stale-while-revalidate=30" in cache_control


def test_public_list_leaves_out_drafts_and_archived_petitions(client):
    from django.utils import timezone

    shown = factories.petition()
    factories.petition(published_at=None)
    factories.petition(archived_at=timezone.now())
    doc = client.get("/api/public/petitions").json()
    assert [p["slug"] for p in doc["petitions"]] == [shown.slug]


def test_count_json_and_the_api_count_agree(client):
    petition = factories.petition()
    factories.signature(petition=petition)
    apply_count_deltas()
    old = client.get(f"/petitions/{petition.slug}/count.json")
    new = client.get(f"/api/public/petitions/{petition.slug}/count")
    assert old.json() == new.json() and new.json()["signature_count"] == 1
    assert "stale-while-revalidate" in old["Cache-Control"]


def test_public_urgent_action_gives_totals_only(client):
    from outcry.actions.services import save_report

    action = factories.urgent_action(serial=105, year=2022)
    data = {f: 0 for f in ("letters", "emails", "faxes", "social_posts", "contact_forms", "other")}
    save_report(
        action=action,
        data={**data, "calls": 3, "country": "PE", "email": "secret@example.org"},
        targets=[],
        language="es",
    )
    response = client.get("/api/public/actions/105/2022")
    doc = response.json()
    assert (doc["case_number"], doc["people"], doc["actions"]) == ("UA 105.22", 1, 3)
    assert doc["by_country"] == [{"country": "PE", "people": 1, "actions": 3}]
    assert "secret@example.org" not in response.content.decode()


def test_unpublished_petition_is_not_found_as_a_problem(client):
    petition = factories.petition(published_at=None)
    response = client.get(f"/api/public/petitions/{petition.slug}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def aggregates(captured) -> list[str]:
    """The GROUP BY over signatures that the per-country counts cost."""
    return [
        q["sql"]
        for q in captured.captured_queries
        if "GROUP BY" in q["sql"] and "signing_signature" in q["sql"]
    ]


def by_country(client, petition) -> dict[str, int]:
    doc = client.get(f"/api/public/petitions/{petition.slug}").json()
    return {row["country"]: row["signature_count"] for row in doc["signatures_by_country"]}


def test_counts_by_country_are_aggregated_once_per_max_age(client, time_machine):

    time_machine.move_to("2026-11-22 12:00:00Z", tick=False)
    petition = factories.petition()
    factories.signature(petition=petition, country="PE")
    with CaptureQueriesContext(connection) as first:
        assert by_country(client, petition) == {"PE": 1}
    assert len(aggregates(first)) == 1

    factories.signature(petition=petition, country="ES")
    time_machine.shift(MAX_AGE - 1)
    with CaptureQueriesContext(connection) as second:
        assert by_country(client, petition) == {"PE": 1}  # the cached figures
    assert aggregates(second) == []

    time_machine.shift(1)
    with CaptureQueriesContext(connection) as third:
        assert by_country(client, petition) == {"PE": 1, "ES": 1}
    assert len(aggregates(third)) == 1
    # Another petition has its own figures.
    other = factories.petition()
    factories.signature(petition=other, country="CL")
    assert by_country(client, other) == {"CL": 1}


def test_stale_counts_are_served_while_another_request_recomputes_them(client, time_machine):

    time_machine.move_to("2026-11-22 12:00:00Z", tick=False)
    petition = factories.petition()
    factories.signature(petition=petition, country="PE")
    assert by_country(client, petition) == {"PE": 1}
    factories.signature(petition=petition, country="ES")
    time_machine.shift(MAX_AGE)
    cache.add(f"api:public:by-country:{petition.pk}:lock", 1)  # a request is on it
    with CaptureQueriesContext(connection) as captured:
        assert by_country(client, petition) == {"PE": 1}
    assert aggregates(captured) == []
    cache.delete(f"api:public:by-country:{petition.pk}:lock")  # it finished (or gave up)
    assert by_country(client, petition) == {"PE": 1, "ES": 1}
