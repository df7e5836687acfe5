"""The record signature and record outreach helpers: real services, scopes, limits."""

import pytest

from outcry.actions.models import ActionReport
from outcry.outbox.models import Message
from outcry.signing.models import Signature
from outcry.signing.services import apply_count_deltas
from tests import factories

pytestmark = pytest.mark.django_db

PERSON = {
    "given_name": "Rosa",
    "family_name": "Quispe",
    "email_addresses": [{"address": "rosa@example.org"}],
    "postal_addresses": [{"country": "pe", "postal_code": "15001"}],
    "languages_spoken": ["es"],
}


def test_recorded_signature_waits_for_the_signers_confirmation(api, org, write_token):
    petition = factories.petition(org=org)
    url = f"/api/v1/petitions/{petition.pk}/signatures"
    response = api.post(url, write_token, {"person": PERSON, "outcry:wants_updates": True})
    assert response.status_code == 202
    assert response.json()["outcry:status"] == "awaiting_confirmation"
    signature = Signature.objects.get(petition=petition)
    assert (signature.state, signature.country.code, signature.utm_source) == (
        "pending",
        "PE",
        "api",
    )
    assert len(factories.messages_to("rosa@example.org")) == 1
    apply_count_deltas()
    petition.refresh_from_db()
    assert petition.signature_count == 0  # counts only once confirmed (invariant 1)


def test_recording_the_same_signer_twice_answers_the_same(api, org, write_token):
    petition = factories.petition(org=org)
    url = f"/api/v1/petitions/{petition.pk}/signatures"
    first = api.post(url, write_token, {"person": PERSON})
    second = api.post(url, write_token, {"person": PERSON})
    assert (first.status_code, first.json()) == (second.status_code, second.json())
    assert Signature.objects.filter(petition=petition).count() == 1


def test_a_read_token_may_not_write(api, org, read_token):
    petition = factories.petition(org=org)
    response = api.post(
        f"/api/v1/petitions/{petition.pk}/signatures", read_token, {"person": PERSON}
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "write access" in response.json()["detail"]
    assert not Signature.objects.exists()


def test_bad_signer_gets_every_problem_at_once_and_nothing_is_written(api, org, write_token):
    petition = factories.petition(org=org)
    person = {
        **PERSON,
        "email_addresses": [{"address": "not-an-address"}],
        "postal_addresses": [{"country": "XX"}],
    }
    response = api.post(
        f"/api/v1/petitions/{petition.pk}/signatures", write_token, {"person": person}
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "'not-an-address' is not an e-mail address" in detail
    assert "'XX' is not a country code" in detail
    assert not Signature.objects.exists() and not Message.objects.exists()


def test_a_missing_field_is_a_problem_that_names_it(api, org, write_token):
    petition = factories.petition(org=org)
    response = api.post(f"/api/v1/petitions/{petition.pk}/signatures", write_token, {})
    assert response.status_code == 422
    assert any("person" in e["loc"] for e in response.json()["errors"])


def test_a_closed_petition_takes_no_signature(api, org, write_token):
    from django.utils import timezone

    petition = factories.petition(org=org, closed_at=timezone.now())
    response = api.post(
        f"/api/v1/petitions/{petition.pk}/signatures", write_token, {"person": PERSON}
    )
    assert response.status_code == 409
    assert not Signature.objects.exists()


def test_problems_speak_the_callers_language(client, org, write_token):
    petition = factories.petition(org=org)
    response = client.post(
        f"/api/v1/petitions/{petition.pk}/signatures",
        {"person": {**PERSON, "postal_addresses": [{"country": "XX"}]}},
        content_type="application/json",
        headers={"OSDI-API-Token": write_token, "Accept-Language": "es"},
    )
    assert "no es un código de país" in response.json()["detail"]


def test_writes_are_rate_limited_per_token(api, org, write_token, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api_write": (2, 60)}
    petition = factories.petition(org=org)
    url = f"/api/v1/petitions/{petition.pk}/signatures"
    statuses = [
        api.post(
            url,
            write_token,
            {"person": {**PERSON, "email_addresses": [{"address": f"p{n}@example.org"}]}},
        ).status_code
        for n in range(3)
    ]
    assert statuses == [202, 202, 429]
    last = api.post(url, write_token, {"person": PERSON})
    assert int(last["Retry-After"]) > 0
    assert Signature.objects.count() == 2


def test_recorded_outreach_is_a_report_on_the_urgent_action(api, org, write_token):
    action = factories.urgent_action(org=org)
    target = action.targets.get()
    body = {
        "person": {
            "email_addresses": [{"address": "act@example.org"}],
            "postal_addresses": [{"country": "ES"}],
        },
        "targets": [{"identifiers": [f"outcry:{target.pk}"]}],
        "outcry:channels": {"letters": 1, "calls": 2},
    }
    response = api.post(f"/api/v1/advocacy_campaigns/{action.pk}/outreaches", write_token, body)
    assert response.status_code == 201
    report = ActionReport.objects.get()
    assert (report.letters, report.calls, report.status) == (1, 2, "counted")
    assert list(report.targets.all()) == [target]
    assert response.json()["identifiers"] == [f"outcry:report-{report.pk}"]
    assert factories.messages_to("act@example.org")


def test_implausible_outreach_is_held_for_an_organiser(api, org, write_token):
    action = factories.urgent_action(org=org)
    body = {
        "person": {"postal_addresses": [{"country": "ES"}]},
        "outcry:channels": {"letters": 500},
    }
    response = api.post(f"/api/v1/advocacy_campaigns/{action.pk}/outreaches", write_token, body)
    assert response.json()["outcry:status"] == "held"


@pytest.mark.parametrize(
    "channels, message",
    [
        ({"letters": 0}, "at least one action"),
        ({"pigeons": 1}, "Unknown channels pigeons"),
        ({"letters": 1000}, "from 0 to 999"),
    ],
)
def test_bad_outreach_is_refused_and_nothing_written(api, org, write_token, channels, message):
    action = factories.urgent_action(org=org)
    body = {"person": {"postal_addresses": [{"country": "ES"}]}, "outcry:channels": channels}
    response = api.post(f"/api/v1/advocacy_campaigns/{action.pk}/outreaches", write_token, body)
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert not ActionReport.objects.exists()


def test_an_outreach_cannot_name_another_campaigns_target(api, org, write_token):
    action = factories.urgent_action(org=org)
    stranger = factories.target(org=factories.organisation())
    body = {
        "person": {"postal_addresses": [{"country": "ES"}]},
        "targets": [{"identifiers": [f"outcry:{stranger.pk}"]}],
        "outcry:channels": {"calls": 1},
    }
    response = api.post(f"/api/v1/advocacy_campaigns/{action.pk}/outreaches", write_token, body)
    assert response.status_code == 422
    assert not ActionReport.objects.exists()
