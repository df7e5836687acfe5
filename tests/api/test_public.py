"""Public JSON: no token, cacheable, counts only."""

import pytest

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
