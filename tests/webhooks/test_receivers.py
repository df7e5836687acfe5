"""SSRF guard: a webhook reaches only public addresses, unless the operator allows a network."""

import ipaddress

import pytest

from outcry.webhooks import receivers, services
from outcry.webhooks.models import Delivery, Endpoint
from tests import factories


@pytest.fixture
def public_install(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    return settings


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/",
        "https://localhost:8000/admin/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://10.0.0.5/hook",
        "https://172.16.3.4/",
        "https://192.168.1.1/",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/",
        "https://0.0.0.0/",
        "https://[fe80::1]/",
        "https://[fd00::1]/",
        "https://224.0.0.1/",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(public_install, url):
    with pytest.raises(receivers.Refused, match="private, local or reserved"):
        receivers.check(url)


def test_public_address_over_https_is_allowed(public_install):
    assert receivers.check("https://93.184.215.14:8443/hook") == ["93.184.215.14"]


@pytest.mark.parametrize("url", ["http://93.184.215.14/hook", "ftp://93.184.215.14/", "https://"])
def test_only_https_is_allowed_to_the_public_internet(public_install, url):
    with pytest.raises(receivers.Refused, match="https://"):
        receivers.check(url)


def test_an_allowed_network_may_be_reached_over_plain_http(public_install):
    public_install.WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("10.20.0.0/16")]

    assert receivers.check("http://10.20.1.2:8080/hook") == ["10.20.1.2"]
    with pytest.raises(receivers.Refused):
        receivers.check("http://10.21.1.2/hook")


def test_unknown_host_is_refused_with_its_name():
    with pytest.raises(receivers.Refused, match="no-such-host.invalid"):
        receivers.check("https://no-such-host.invalid/")


@pytest.mark.django_db
def test_delivery_to_an_address_no_longer_allowed_is_refused_at_send_time(receiver, settings):
    # Saved while loopback was allowed (or the name pointed elsewhere): each
    # delivery checks again, so nothing reaches the now-forbidden address.
    endpoint = Endpoint.objects.create(
        organisation=factories.organisation(), url=receiver.url, events=["ping"]
    )
    delivery = services.ping(endpoint=endpoint, user=factories.user())
    settings.WEBHOOK_ALLOWED_NETWORKS = []

    assert services.deliver_due() == 0

    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.QUEUED and delivery.attempts == 1
    assert "Refused" in delivery.last_error and "127.0.0.1" in delivery.last_error
