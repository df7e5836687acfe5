"""The workspace's webhooks area: owners add, test, change and remove receivers."""

import pytest
from django.urls import reverse
from django.utils import translation

from outcry.campaigns.models import Role
from outcry.organiser.models import AuditEntry
from outcry.webhooks import services
from outcry.webhooks.models import Delivery, Endpoint
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client, org):
    user = factories.user(org=org, role=Role.OWNER)
    client.force_login(user)
    return user


def url(name, org, **kwargs):
    return reverse(name, kwargs={"org": org.slug, **kwargs})


def verbs(org):
    return list(AuditEntry.objects.filter(organisation=org).values_list("verb", flat=True))


def test_new_webhook_shows_its_secret_once(client, org, owner, receiver):
    response = client.post(
        url("webhooks", org),
        {
            "url": receiver.url,
            "description": "CRM",
            "events": ["signature.confirmed"],
            "active": "on",
        },
    )

    endpoint = Endpoint.objects.get(organisation=org)
    assert response.status_code == 302
    assert response["Location"] == url("webhook", org, pk=endpoint.pk)
    assert endpoint.events == ["signature.confirmed"] and endpoint.secret.startswith("whsec_")
    assert endpoint.secret in client.get(response["Location"]).content.decode()
    assert endpoint.secret not in client.get(response["Location"]).content.decode()
    assert endpoint.secret not in client.get(url("webhooks", org)).content.decode()
    assert verbs(org) == ["created webhook"]


def test_new_secret_replaces_the_old_one_and_is_shown_once(client, org, owner, endpoint):
    old = endpoint.secret

    response = client.post(url("webhook_secret", org, pk=endpoint.pk))

    endpoint.refresh_from_db()
    assert endpoint.secret != old
    page = client.get(response["Location"]).content.decode()
    assert endpoint.secret in page and old not in page
    assert verbs(org) == ["made a new webhook secret"]


def test_private_address_is_refused_in_the_owners_language(client, org, owner, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    with translation.override("es"):
        address = reverse("webhooks", kwargs={"org": org.slug})

    response = client.post(address, {"url": "https://127.0.0.1:5432/"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "es una dirección privada, local o reservada" in page
    assert "Elija al menos un evento." in page
    assert not Endpoint.objects.exists()


def test_webhook_needs_an_address_and_an_event(client, org, owner):
    response = client.post(url("webhooks", org), {"url": "not an address"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Please enter a web address like https://crm.example.org/outcry." in page
    assert "Please choose at least one event." in page
    assert not Endpoint.objects.exists()


def test_owner_changes_events_and_switches_a_webhook_off(client, org, owner, endpoint):
    response = client.post(
        url("webhook", org, pk=endpoint.pk), {"url": endpoint.url, "events": ["letter.sent"]}
    )

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.events, endpoint.active) == (["letter.sent"], False)
    assert verbs(org) == ["edited webhook"]
    assert "switched off" in client.get(url("webhook", org, pk=endpoint.pk)).content.decode()


def test_test_event_is_delivered_and_shows_in_the_log(client, org, owner, endpoint, receiver):
    client.post(url("webhook_ping", org, pk=endpoint.pk))
    services.deliver_due()

    (request,) = receiver.requests
    assert request.headers["Outcry-Event"] == "ping"
    page = client.get(url("webhook", org, pk=endpoint.pk)).content.decode()
    delivery = Delivery.objects.get()
    assert str(delivery.key) in page and "Delivered" in page and "<td>200</td>" in page
    assert verbs(org) == ["sent webhook test"]


def test_failed_delivery_shows_its_error_and_can_be_redelivered(
    client, org, owner, endpoint, receiver
):
    receiver.answers = [(410, {})]
    delivery = services.ping(endpoint=endpoint, user=owner)
    services.deliver_due()
    page = client.get(url("webhook", org, pk=endpoint.pk)).content.decode()
    assert "Failed" in page and "HTTP 410" in page and "410 Gone" in page

    switched_on = client.post(
        url("webhook", org, pk=endpoint.pk),
        {"url": endpoint.url, "events": ["signature.confirmed"], "active": "on"},
    )
    assert switched_on.status_code == 302
    client.post(url("webhook_redeliver", org, pk=endpoint.pk, delivery=delivery.pk))
    services.deliver_due()

    delivery.refresh_from_db()
    assert (delivery.state, delivery.response_code) == ("sent", 200)
    first, second = receiver.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]


def test_delivery_of_another_webhook_cannot_be_redelivered_through_this_one(
    client, org, owner, endpoint
):
    other = Endpoint.objects.create(organisation=org, url=endpoint.url, events=["ping"])
    delivery = Delivery.objects.create(endpoint=other, event="ping", state="failed")

    response = client.post(url("webhook_redeliver", org, pk=endpoint.pk, delivery=delivery.pk))

    assert response.status_code == 404
    assert Delivery.objects.get(pk=delivery.pk).state == "failed"


def test_deleting_a_webhook_removes_it_and_its_log(client, org, owner, endpoint):
    services.ping(endpoint=endpoint, user=owner)

    response = client.post(url("webhook_delete", org, pk=endpoint.pk))

    assert response.status_code == 302
    assert not Endpoint.objects.exists() and not Delivery.objects.exists()
    assert verbs(org) == ["sent webhook test", "deleted webhook"][::-1]


def test_editor_cannot_see_webhooks_or_their_secret(client, org, endpoint):
    client.force_login(factories.user(org=org, role=Role.EDITOR))

    assert client.get(url("webhook", org, pk=endpoint.pk)).status_code == 404
    dashboard = client.get(url("organiser_dashboard", org)).content.decode()
    assert url("webhooks", org) not in dashboard
