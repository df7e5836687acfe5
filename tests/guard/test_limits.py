"""Rate limits on public POSTs: per IP hash and form kind, atomic in Redis and in the database."""

import threading
import time

import pytest
import time_machine
from django.core.cache import cache

from outcry.guard import limits
from outcry.guard.models import RateCounter
from outcry.signing.models import Signature
from outcry.signing.provenance import ip_hash
from tests import factories
from tests.guard.helpers import human
from tests.workers import drain_in_parallel


@pytest.mark.django_db
def test_limit_admits_per_hits_then_says_how_long_to_wait(backend, mid_minute):
    assert [limits.limit("k", per=3, seconds=60) for _ in range(5)] == [None] * 3 + [45, 45]
    assert limits.limit("other", per=3, seconds=60) is None


@pytest.mark.django_db
def test_a_new_window_starts_afresh(backend, mid_minute):
    for _ in range(3):
        limits.limit("k", per=2, seconds=60)
    assert limits.limit("k", per=2, seconds=60) == 45
    with time_machine.travel(time.time() + 60, tick=False):
        assert limits.limit("k", per=2, seconds=60) is None


@pytest.mark.django_db
def test_expired_database_counters_are_forgotten(mid_minute):
    limits.limit("old", per=9, seconds=60)
    with time_machine.travel(time.time() + 120, tick=False):
        limits.limit("new", per=9, seconds=60)
        assert limits.forget_expired() == 1
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_threads_hammering_one_key_are_counted_exactly(backend, mid_minute):
    """200 hits from 8 threads at once: exactly `per` admitted, each hit its own count."""
    attempts, per = iter(range(200)), 50
    lock = threading.Lock()
    verdicts = []

    def job():
        with lock:
            if next(attempts, None) is None:
                return 0
        verdicts.append(limits.limit("hammer", per=per, seconds=60))
        return 1

    drain_in_parallel(job, workers=8)
    assert len(verdicts) == 200
    assert verdicts.count(None) == per
    window = int(time.time()) // 60 * 60
    if backend == "redis":
        counts = [cache.get(f"outcry:limit:hammer:{window}")]
    else:
        counts = list(RateCounter.objects.values_list("hits", flat=True))
    assert counts == [200]


@pytest.mark.django_db(transaction=True)
def test_every_hit_sees_its_own_count(backend, mid_minute):
    """No two concurrent hits read the same number: the increments are atomic."""
    attempts = iter(range(120))
    lock = threading.Lock()
    seen = []
    window = int(time.time()) // 60 * 60
    count = limits._count_in_cache if backend == "redis" else limits._count_in_database

    def job():
        with lock:
            if next(attempts, None) is None:
                return 0
        seen.append(count("race", window, 60))
        return 1

    drain_in_parallel(job, workers=8)
    assert sorted(seen) == list(range(1, 121))


# The views: every public POST is limited, a limited one gets a clear 429 page.

PUBLIC_POSTS = {
    "sign": "/en/petitions/p/sign/",
    "comment": "/en/petitions/p/comments/",
    "flag": "/en/petitions/p/comments/1/report/",
    "write": "/en/actions/ua-1-2022/write/",
    "print": "/en/actions/ua-1-2022/print/",
    "send": "/en/actions/ua-1-2022/send/",
    "report": "/en/actions/ua-1-2022/report/",
    "amend report": "/en/reports/not-a-token/",
    "confirm": "/en/confirm/not-a-token/",
    "confirm letters": "/en/letters/confirm/not-a-token/",
    "unsubscribe": "/en/unsubscribe/not-a-token/",
    "stop case updates": "/en/case-updates/not-a-token/",
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", PUBLIC_POSTS)
def test_every_public_post_is_limited(client, settings, name, mid_minute):
    settings.RATE_LIMITS = {kind: (1, 60) for kind in settings.RATE_LIMITS}
    url = PUBLIC_POSTS[name]
    first = client.post(url)
    assert first.status_code != 429
    limited = client.post(url)
    assert limited.status_code == 429
    assert limited["Retry-After"] == "45"


@pytest.mark.django_db
def test_reading_a_page_is_never_limited(client, settings):
    settings.RATE_LIMITS = {kind: (1, 60) for kind in settings.RATE_LIMITS}
    action = factories.urgent_action()
    url = f"/en/actions/ua-{action.serial}-{action.year}/report/"
    assert [client.get(url).status_code for _ in range(3)] == [200] * 3


@pytest.mark.django_db
def test_a_flood_of_signatures_gets_a_429_in_the_visitors_language(
    client, settings, backend, mid_minute
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sign": (3, 60)}
    petition = factories.petition()
    url = f"/es/petitions/{petition.slug}/sign/"
    data = {"name": "Ana", "country": "PE", "name_display": "full"}
    statuses = [
        client.post(url, human(data, email=f"ana{n}@example.org", campaign=petition)).status_code
        for n in range(3)
    ]
    assert statuses == [302] * 3
    response = client.post(url, human(data, email="ana9@example.org", campaign=petition))
    assert response.status_code == 429
    assert response["Retry-After"] == "45"
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert "Demasiados intentos" in page and "Espera 45 segundos y vuelve a enviarlo." in page
    assert Signature.objects.count() == 3


@pytest.mark.django_db
def test_each_address_and_each_form_has_its_own_limit(client, settings, mid_minute):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sign": (1, 60), "comment": (1, 60)}
    petition = factories.petition()
    sign = f"/en/petitions/{petition.slug}/sign/"
    data = {"name": "Ana", "email": "ana@example.org", "country": "PE", "name_display": "full"}
    assert (
        client.post(sign, human(data, campaign=petition), REMOTE_ADDR="203.0.113.1").status_code
        == 302
    )
    assert (
        client.post(sign, human(data, campaign=petition), REMOTE_ADDR="203.0.113.1").status_code
        == 429
    )
    assert (
        client.post(sign, human(data, campaign=petition), REMOTE_ADDR="203.0.113.2").status_code
        == 302
    )
    comment = {"name": "Ana", "email": "ana@example.org", "text": "Yes."}
    response = client.post(
        f"/en/petitions/{petition.slug}/comments/",
        human(comment, campaign=petition),
        REMOTE_ADDR="203.0.113.1",
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_an_ipv6_visitor_is_limited_by_their_64_not_each_address(client, settings, mid_minute):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sign": (2, 60)}
    petition = factories.petition()
    sign = f"/en/petitions/{petition.slug}/sign/"

    def post(address, n):
        data = {"name": "Ana", "email": f"ana{n}@example.org", "country": "PE"}
        form = human({**data, "name_display": "full"}, campaign=petition)
        return client.post(sign, form, REMOTE_ADDR=address).status_code

    # A new address in the same /64 for each post, as a rotating robot would send.
    assert [post(f"2001:db8:7:9::{n:x}", n) for n in range(1, 4)] == [302, 302, 429]
    assert post("2001:db8:7:a::1", 4) == 302  # the next /64 is someone else
    assert Signature.objects.count() == 3


@pytest.mark.parametrize(
    "one, other, same",
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe", True),
        ("2001:db8:1:2::1", "2001:db8:1:3::1", False),
        ("::ffff:192.0.2.1", "192.0.2.1", True),
        ("192.0.2.1", "192.0.2.2", False),
        ("2001:DB8:1:2::1", "2001:db8:1:2::1", True),
    ],
)
def test_visitors_are_ipv4_addresses_and_ipv6_64s(one, other, same):
    assert (ip_hash(one) == ip_hash(other)) is same


@pytest.mark.django_db
def test_the_429_page_in_english(client, settings, mid_minute):
    settings.RATE_LIMITS = {kind: (1, 60) for kind in settings.RATE_LIMITS}
    client.post("/en/confirm/x/")
    page = client.post("/en/confirm/x/").content.decode()
    assert "<h1>Too many attempts</h1>" in page
    assert "Please wait 45 seconds, then send it again." in page


@pytest.mark.django_db
def test_organiser_login_is_throttled_per_ip(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": (3, 60)}
    statuses = [
        client.post("/en/organiser/login/", {"username": "x", "password": "wrong"}).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
