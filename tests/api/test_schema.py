"""The OpenAPI schema tells the truth: schemathesis generates requests from it for
every operation and checks each answer against it (no server error, documented
status, content type and body)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import checks as openapi_checks

from outcry.api.services import create_token
from outcry.signing.services import apply_count_deltas
from tests import factories

schema = schemathesis.openapi.from_wsgi("/api/schema", get_wsgi_application())


@pytest.fixture
def world(django_settings_for_api):
    org = factories.organisation()
    owner = factories.user(org=org)
    petition = factories.petition(org=org, slug="stop-the-force")
    for n in range(3):
        factories.signature(petition=petition, country=["PE", "ES", "PE"][n])
    factories.urgent_action(org=org, serial=105, year=2022)
    apply_count_deltas()
    return {"token": create_token(organisation=org, name="t", scope="write", by=owner)[1]}


@pytest.fixture
def django_settings_for_api(settings):
    # Run through the real WSGI handler, which closes the database connection after
    # each request; the test's transaction must outlive it, as Django's test client does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # Enough writes for every generated request: the limit itself is tested elsewhere.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api_write": (100_000, 60)}
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_answer_matches_the_schema(case, world):
    case.call_and_validate(
        headers={"OSDI-API-Token": world["token"]},
        # What the schema promises. Not whether the API refuses every request the schema
        # disallows: it ignores unknown query parameters, as OSDI clients expect.
        checks=[
            not_a_server_error,
            openapi_checks.status_code_conformance,
            openapi_checks.content_type_conformance,
            openapi_checks.response_headers_conformance,
            openapi_checks.response_schema_conformance,
        ],
    )


def test_schema_is_served_without_a_cdn_docs_page(client):
    response = client.get("/api/schema")
    assert response.status_code == 200
    assert "/api/v1/petitions" in response.json()["paths"]
    assert client.get("/api/docs").status_code == 404
