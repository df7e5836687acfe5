"""Owners make and revoke tokens in the workspace; the secret is shown once."""

import pytest
from django.urls import reverse

from outcry.api.models import ApiToken
from outcry.organiser.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_owner_makes_a_token_seen_once_and_audited(client, org, owner):
    client.force_login(owner)
    url = reverse("api_tokens", kwargs={"org": org.slug})
    response = client.post(url, {"name": "CRM sync", "scope": "write"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = response.context["secret"]
    assert secret.startswith("outcry_") and secret in response.content.decode()
    token = ApiToken.objects.get()
    assert (token.organisation, token.scope, token.created_by) == (org, "write", owner)
    assert secret not in client.get(url).content.decode()
    assert AuditEntry.objects.filter(organisation=org, verb="created API token").exists()


def test_a_token_without_a_name_is_refused(client, org, owner):
    client.force_login(owner)
    response = client.post(reverse("api_tokens", kwargs={"org": org.slug}), {"scope": "read"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_revoked_token_stops_working_and_is_audited(client, api, org, owner, read_token):
    client.force_login(owner)
    token = ApiToken.objects.get()
    client.post(reverse("api_token_revoke", kwargs={"org": org.slug, "pk": token.pk}))
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(verb="revoked API token").exists()
    assert api.get("/api/v1/petitions", read_token).status_code == 401
