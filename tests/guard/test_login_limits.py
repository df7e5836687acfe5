"""Organiser logins are limited per user name as well as per IP: a guesser spread over
many addresses is stopped, the refusal never tells whether the account exists, and a
successful login clears the count."""

import re
import time

import pytest
import time_machine

from outcry.guard.models import RateCounter
from outcry.organiser.forms import username_key
from tests import factories

# The `backend` fixture (tests/guard/conftest.py): each test below runs on the database
# and on Redis.

pytestmark = pytest.mark.django_db

LOGIN = "/en/organiser/login/"
PASSWORD = "pw-for-tests-1"


@pytest.fixture
def mid_quarter():
    """Time stands still 15 s into a quarter hour: the lock's window has 885 s to run."""
    with time_machine.travel(int(time.time()) // 900 * 900 + 15, tick=False):
        yield


@pytest.fixture
def three_tries(settings):
    # A generous per-IP limit, so only the per-user-name one can bite.
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "login": (100, 60),
        "login_username": (3, 900),
    }


def attempt(client, username, password="wrong", n=0):  # noqa: S107
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=f"203.0.113.{n}"
    )


def test_failures_from_many_addresses_lock_the_user_name_even_for_the_right_password(
    client, three_tries, backend, mid_quarter
):
    factories.user(username="olga")
    assert [attempt(client, "olga", n=n).status_code for n in range(3)] == [200] * 3
    refused = attempt(client, "olga", PASSWORD, n=9)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "885"
    page = refused.content.decode()
    assert "Too many attempts to log in with this user name" in page
    assert "Please wait 15 minutes and try again." in page
    assert "_auth_user_id" not in client.session


def test_an_unknown_user_name_is_refused_in_the_same_words(
    client, three_tries, backend, mid_quarter
):
    factories.user(username="olga")
    for name in ("olga", "nobody"):
        for n in range(3):
            attempt(client, name, n=n)
    known, unknown = attempt(client, "olga"), attempt(client, "nobody")
    assert (known.status_code, unknown.status_code) == (429, 429)

    def page(response):
        text = response.content.decode().replace("olga", "").replace("nobody", "")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)

    assert page(known) == page(unknown)


def test_spellings_of_one_user_name_share_its_count(client, three_tries, mid_quarter):
    factories.user(username="olga")
    for name in ("olga", "OLGA", " Olga"):
        attempt(client, name)
    assert attempt(client, "olga", PASSWORD).status_code == 429


def test_other_user_names_are_not_locked(client, three_tries, mid_quarter):
    factories.user(username="olga")
    factories.user(username="pablo")
    for _ in range(4):
        attempt(client, "olga")
    assert attempt(client, "pablo", PASSWORD).status_code == 302


def test_a_successful_login_clears_the_count(client, three_tries, backend, mid_quarter):
    factories.user(username="olga")
    attempt(client, "olga")
    attempt(client, "olga")
    assert attempt(client, "olga", PASSWORD).status_code == 302
    client.logout()
    assert [attempt(client, "olga").status_code for _ in range(3)] == [200] * 3
    assert attempt(client, "olga").status_code == 429


def test_the_lock_ends_with_its_window(client, three_tries, mid_quarter):
    factories.user(username="olga")
    for _ in range(4):
        attempt(client, "olga")
    with time_machine.travel(time.time() + 900, tick=False):
        assert attempt(client, "olga", PASSWORD).status_code == 302


def test_the_count_keeps_no_user_name(client, three_tries, mid_quarter):
    attempt(client, "olga.secret@example.org")
    keys = list(RateCounter.objects.values_list("key", flat=True))
    assert username_key("olga.secret@example.org") in keys
    assert not any("olga" in key for key in keys)


def test_the_lock_speaks_spanish(client, three_tries, mid_quarter):
    for _ in range(4):
        response = client.post("/es/organiser/login/", {"username": "ana", "password": "x"})
    page = response.content.decode()
    assert response.status_code == 429 and '<html lang="es">' in page
    assert "Demasiados intentos de entrar con este nombre de usuario" in page
