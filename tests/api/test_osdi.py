"""OSDI resources: HAL shape, identifiers, paging, filtering, and one organisation's data."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from outcry.api.services import create_token, revoke_token
from outcry.signing.services import apply_count_deltas
from tests import factories

pytestmark = pytest.mark.django_db


def test_petition_is_hal_json_with_osdi_fields_and_outcry_namespace(api, org, read_token):
    petition = factories.petition(org=org)
    factories.signature(petition=petition)
    apply_count_deltas()
    response = api.get(f"/api/v1/petitions/{petition.pk}", read_token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/hal+json")
    doc = response.json()
    assert doc["identifiers"] == [f"outcry:{petition.pk}"]
    assert doc["total_signatures"] == 1
    assert doc["outcry:slug"] == petition.slug
    assert doc["target"][0]["title"] == "President of Peru"
    assert doc["_links"]["self"]["href"].endswith(f"/api/v1/petitions/{petition.pk}")
    assert doc["_links"]["osdi:record_signature_helper"]["href"].endswith("/signatures")


def test_collections_page_with_totals_and_links(api, org, read_token):
    for _ in range(3):
        factories.petition(org=org)
    doc = api.get("/api/v1/petitions", read_token, per_page=2, page=2).json()
    assert (doc["total_records"], doc["total_pages"], doc["page"]) == (3, 2, 2)
    assert len(doc["_embedded"]["osdi:petitions"]) == 1
    assert "page=1" in doc["_links"]["previous"]["href"] and "next" not in doc["_links"]


def test_modified_date_filter_returns_what_changed_since(api, org, read_token):
    with time_machine.travel("2026-01-01T00:00:00Z"):
        factories.petition(org=org)
    with time_machine.travel("2026-03-01T00:00:00Z"):
        recent = factories.petition(org=org)
    doc = api.get(
        "/api/v1/petitions", read_token, filter="modified_date gt '2026-02-01T00:00:00Z'"
    ).json()
    assert [p["identifiers"] for p in doc["_embedded"]["osdi:petitions"]] == [
        [f"outcry:{recent.pk}"]
    ]
    assert "filter=modified_date" in doc["_links"]["self"]["href"]


def test_confirming_a_signature_changes_its_modified_date(api, org, read_token):
    from outcry.signing.services import confirm

    petition = factories.petition(org=org)
    signature = factories.signature(petition=petition, confirmed=False, token_hash=None)
    from outcry.signing.tokens import new_token

    raw, digest = new_token()
    signature.token_hash, signature.token_expires_at = digest, timezone.now() + timedelta(days=1)
    signature.save()
    since = timezone.now() + timedelta(hours=1)
    with time_machine.travel(since + timedelta(minutes=1)):
        confirm(raw_token=raw)
    when = since.isoformat().replace("+00:00", "Z")
    doc = api.get("/api/v1/signatures", read_token, filter=f"modified_date gt '{when}'").json()
    assert [s["outcry:state"] for s in doc["_embedded"]["osdi:signatures"]] == ["confirmed"]


def test_a_bad_filter_is_a_problem_that_says_how_to_write_one(api, read_token):
    response = api.get("/api/v1/petitions", read_token, filter="modified_date after yesterday")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "modified_date gt '2026-01-01T00:00:00Z'" in response.json()["detail"]


def test_people_are_one_per_mailbox_and_show_their_email_to_the_token(api, org, read_token):
    one, two = factories.petition(org=org), factories.petition(org=org)
    first = factories.signature(petition=one, email="Ana.Diaz@gmail.com", name="Ana Díaz")
    factories.signature(petition=two, email="anadiaz+news@googlemail.com", name="Ana Díaz")
    factories.signature(petition=two, confirmed=False)  # never confirmed: nobody yet
    doc = api.get("/api/v1/people", read_token).json()
    assert doc["total_records"] == 1
    person = doc["_embedded"]["osdi:people"][0]
    assert person["identifiers"] == [f"outcry:{first.pk}"]
    assert (person["given_name"], person["family_name"]) == ("Ana", "Díaz")
    assert person["email_addresses"][0]["address"] == "anadiaz+news@googlemail.com"
    signatures = api.get(f"/api/v1/people/{first.pk}/signatures", read_token).json()
    assert signatures["total_records"] == 2


def test_a_later_signature_id_is_no_persons_id(api, org, read_token):
    petition = factories.petition(org=org)
    factories.signature(petition=petition, email="a@example.org")
    later = factories.signature(petition=factories.petition(org=org), email="a@example.org")
    assert api.get(f"/api/v1/people/{later.pk}", read_token).status_code == 404


def test_urgent_action_carries_case_number_and_target_details(api, org, read_token):
    action = factories.urgent_action(org=org, serial=105, year=2022)
    doc = api.get(f"/api/v1/advocacy_campaigns/{action.pk}", read_token).json()
    assert doc["outcry:case_number"] == "UA 105.22"
    assert doc["outcry:preferred_language"] == "es"
    target = doc["targets"][0]
    assert target["outcry:salutations"] == {"es": "Señora Presidenta:"}
    assert target["outcry:preferred_language"] == "es"
    assert doc["template"] == "Le pido que actúe."


def test_outreaches_list_reports_and_letters_together(api, org, read_token):
    from outcry.actions.models import LetterBatch
    from outcry.actions.services import save_report

    action = factories.urgent_action(org=org)
    data = {
        "letters": 2,
        "emails": 0,
        "faxes": 0,
        "calls": 1,
        "social_posts": 0,
        "contact_forms": 0,
        "other": 0,
        "country": "ES",
        "email": "act@example.org",
    }
    report = save_report(action=action, data=data, targets=[], language="es")
    batch = LetterBatch.objects.create(
        action=action,
        name="Eva Ruiz",
        email="eva@example.org",
        country="PE",
        language="es",
        confirmed_at=timezone.now(),
    )
    doc = api.get(f"/api/v1/advocacy_campaigns/{action.pk}/outreaches", read_token).json()
    assert doc["total_records"] == 2
    ids = {o["identifiers"][0] for o in doc["_embedded"]["osdi:outreaches"]}
    assert ids == {f"outcry:report-{report.pk}", f"outcry:letters-{batch.pk}"}
    one = api.get(f"/api/v1/outreaches/report-{report.pk}", read_token).json()
    assert one["outcry:channels"]["letters"] == 2
    assert one["_embedded"]["osdi:person"]["email_addresses"][0]["address"] == "act@example.org"


@pytest.mark.parametrize(
    "path",
    [
        "petitions/{petition}",
        "petitions/{petition}/signatures",
        "signatures/{signature}",
        "people/{signature}",
        "advocacy_campaigns/{action}",
        "advocacy_campaigns/{action}/outreaches",
        "outreaches/report-{report}",
    ],
)
def test_another_organisations_token_sees_nothing_of_ours(api, org, path):
    from outcry.actions.services import save_report

    petition = factories.petition(org=org)
    signature = factories.signature(petition=petition)
    action = factories.urgent_action(org=org)
    data = {
        f: 1 if f == "calls" else 0
        for f in ("letters", "emails", "faxes", "calls", "social_posts", "contact_forms", "other")
    }
    report = save_report(action=action, data={**data, "country": "PE"}, targets=[], language="es")
    theirs = factories.organisation()
    _, token = create_token(
        organisation=theirs, name="x", scope="write", by=factories.user(org=theirs)
    )
    url = "/api/v1/" + path.format(
        petition=petition.pk, signature=signature.pk, action=action.pk, report=report.pk
    )
    response = api.get(url, token)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    for collection in ("petitions", "signatures", "people", "advocacy_campaigns", "outreaches"):
        assert api.get(f"/api/v1/{collection}", token).json()["total_records"] == 0


def test_no_token_or_a_revoked_one_is_refused(api, client, org, owner):
    from outcry.api.models import ApiToken

    assert client.get("/api/v1/petitions").status_code == 401
    token, secret = create_token(organisation=org, name="old", scope="read", by=owner)
    assert api.get("/api/v1/petitions", secret).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
    revoke_token(token=token, by=owner)
    response = api.get("/api/v1/petitions", secret)
    assert response.status_code == 401
    assert "OSDI-API-Token" in response.json()["detail"]


def test_the_token_is_stored_hashed(org, owner):
    from outcry.api.models import ApiToken

    token, secret = create_token(organisation=org, name="CRM", scope="read", by=owner)
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert secret not in str(stored)
    assert secret.startswith(stored["prefix"])
