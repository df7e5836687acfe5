"""The public pages and count JSON from the page cache (outcry/campaigns/pagecache.py):
shared rendering, answered ahead of the middleware stack with the headers the stack
gave it, but every visitor's own CSRF token and render time, and never another
visitor's values or a page meant for one visitor only."""

import html
import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpResponse
from django.middleware.security import SecurityMiddleware
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from outcry.campaigns import pagecache
from outcry.guard.bots import STARTED, token_verdict
from outcry.signing.models import Signature
from outcry.signing.services import apply_count_deltas
from tests import factories
from tests.faults.forms import hidden_fields
from tests.guard.helpers import solution_for

pytestmark = pytest.mark.django_db

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
INPUT = re.compile(r"<input\b([^>]*)>")
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')


def sign_form(page: str) -> dict[str, str]:
    """The hidden and text fields of the sign form, as a browser would send them."""
    start = page.index('class="sign"')
    fields = {}
    for tag in INPUT.finditer(page, start, page.index("</form>", start)):
        attrs = dict(ATTRIBUTE.findall(tag.group(1)))
        if "name" in attrs and attrs.get("type") not in ("checkbox", "radio", "submit"):
            fields[attrs["name"]] = html.unescape(attrs.get("value", ""))
    return fields


@pytest.fixture
def stack(monkeypatch) -> list[str]:
    """The paths of the requests that went past PageCacheMiddleware into the rest of
    the middleware stack (SecurityMiddleware comes next)."""
    entered = []
    original = SecurityMiddleware.process_request

    def spy(self, request):
        entered.append(request.path)
        return original(self, request)

    monkeypatch.setattr(SecurityMiddleware, "process_request", spy)
    return entered


def visit(path: str, **headers) -> tuple[Client, str]:
    """A new visitor (no cookies) opening `path`: their client and the page."""
    client = Client(enforce_csrf_checks=True)
    response = client.get(path, **headers)
    assert response.status_code == 200
    return client, response.content.decode()


def test_second_view_runs_no_query_yet_has_its_own_tokens_and_signing_works(
    django_assert_num_queries,
):
    petition = factories.petition()
    url = petition.get_absolute_url()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first_client, first = visit(url)
        clock.shift(settings.FORM_MIN_FILL_SECONDS + 1)
        with django_assert_num_queries(0):
            client, page = visit(url)
        form = sign_form(page)
        # Django's CSRF token, masked for this response, and a render time of now.
        assert form["csrfmiddlewaretoken"] != sign_form(first)["csrfmiddlewaretoken"]
        assert client.cookies["csrftoken"].value != first_client.cookies["csrftoken"].value
        # A render time of now: too fresh to post yet, while the first page's is not.
        assert token_verdict(form[STARTED]) == "too fast"
        assert token_verdict(sign_form(first)[STARTED]) == ""
        assert "hole" not in page
        clock.shift(settings.FORM_MIN_FILL_SECONDS + 1)  # a person takes a moment to fill it
        form.update(name="Ana Quispe", email="ana@example.org", country="PE")
        form["name_display"] = "full"
        form["altcha"] = solution_for(petition)  # what the robot-check widget adds
        response = client.post(f"/en/petitions/{petition.slug}/sign/", form)
    assert response.status_code == 302
    assert response["Location"] == f"/en/petitions/{petition.slug}/thanks/"
    assert Signature.objects.filter(petition=petition).count() == 1


def test_cached_page_without_the_visitors_csrf_cookie_is_refused():
    """The filled-in token is the visitor's own: it is no good with another's cookie."""
    petition = factories.petition()
    visit(petition.get_absolute_url())
    client, page = visit(petition.get_absolute_url())
    form = sign_form(page) | {"name": "Ana", "email": "ana@example.org", "country": "PE"}
    client.cookies["csrftoken"] = "x" * 32
    assert client.post(f"/en/petitions/{petition.slug}/sign/", form).status_code == 403


def test_no_visitor_sees_another_visitors_token_or_referrer():
    petition = factories.petition()
    url = petition.get_absolute_url()
    alice, alice_page = visit(
        url + "?utm_source=alice-newsletter", HTTP_REFERER="https://alice-blog.example/post"
    )
    assert sign_form(alice_page)["referrer"] == "alice-blog.example"
    assert sign_form(alice_page)["utm_source"] == "alice-newsletter"
    _, bob_page = visit(url, HTTP_REFERER="https://bob.example/<x>")
    assert sign_form(alice_page)["csrfmiddlewaretoken"] not in bob_page
    assert alice.cookies["csrftoken"].value not in bob_page
    assert "alice" not in bob_page
    # Bob's own values, escaped like any value in a page.
    assert sign_form(bob_page)["referrer"] == "bob.example"
    assert sign_form(bob_page)["utm_source"] == ""


def test_utm_source_is_escaped_in_the_filled_hole():
    petition = factories.petition()
    _, page = visit(petition.get_absolute_url() + '?utm_source="><script>x</script>')
    assert "<script>x" not in page
    assert sign_form(page)["utm_source"] == '"><script>x</script>'


def test_page_carries_no_store_and_count_json_is_public():
    petition = factories.petition()
    client = Client()
    page = client.get(petition.get_absolute_url())
    assert "private" in page["Cache-Control"] and "no-store" in page["Cache-Control"]
    count = client.get(f"/petitions/{petition.slug}/count.json")
    assert "public" in count["Cache-Control"]
    assert "stale-while-revalidate" in count["Cache-Control"]


def test_a_spanish_page_is_not_served_to_an_english_visitor():
    petition = factories.petition()
    _, spanish = visit(f"/es/petitions/{petition.slug}/")
    _, english = visit(f"/en/petitions/{petition.slug}/")
    assert '<html lang="es">' in spanish and "Firmar la petición" in spanish
    assert '<html lang="en">' in english and "Firmar la petición" not in english


def test_each_visitor_gets_their_own_country_preselected():
    petition = factories.petition()
    _, peru = visit(petition.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="es-PE,es;q=0.9")
    _, chile = visit(petition.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="es-CL")
    assert re.search(r'<option value="PE" selected>', peru)
    assert re.search(r'<option value="CL" selected>', chile)
    assert not re.search(r'<option value="PE" selected>', chile)


def test_logged_in_organiser_gets_a_fresh_page():
    org = factories.organisation()
    petition = factories.petition(org=org)
    visit(petition.get_absolute_url())  # now cached
    petition.title = "A title just edited"
    petition.save()
    organiser = Client()
    organiser.force_login(factories.user(org=org))
    assert "A title just edited" in organiser.get(petition.get_absolute_url()).content.decode()
    _, anonymous = visit(petition.get_absolute_url())
    assert "A title just edited" not in anonymous  # within PAGE_CACHE_SECONDS
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.PAGE_CACHE_SECONDS + 1)):
        _, later = visit(petition.get_absolute_url())
    assert "A title just edited" in later


def test_a_visitor_with_a_message_gets_it_and_nobody_else_does():
    petition = factories.petition()
    visit(petition.get_absolute_url())  # now cached
    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(constants.SUCCESS, "Your data is erased, Beatriz.")
    carrier = HttpResponse()
    storage.update(carrier)
    client = Client()
    client.cookies["messages"] = carrier.cookies["messages"].value
    page = client.get(petition.get_absolute_url()).content.decode()
    assert "Your data is erased, Beatriz." in page
    _, next_visitor = visit(petition.get_absolute_url())
    assert "Beatriz" not in next_visitor


def test_a_form_with_errors_is_shown_to_its_sender_only():
    petition = factories.petition()
    client, page = visit(petition.get_absolute_url())
    form = sign_form(page) | {"name": "Zoraida Unique", "email": "not an address"}
    response = client.post(f"/en/petitions/{petition.slug}/sign/", form)
    assert response.status_code == 400
    assert "Zoraida Unique" in response.content.decode()
    _, next_visitor = visit(petition.get_absolute_url())
    assert "Zoraida Unique" not in next_visitor
    assert "like name@example.org" not in next_visitor


def test_count_json_catches_up_within_the_cache_time(client, django_assert_num_queries):
    petition = factories.petition()
    url = f"/petitions/{petition.slug}/count.json"
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert client.get(url).json()["signature_count"] == 0
        factories.signature(petition=petition)
        apply_count_deltas()
        with django_assert_num_queries(0):
            assert client.get(url).json()["signature_count"] == 0  # the cached copy
        clock.shift(settings.PAGE_CACHE_SECONDS + 0.1)
        assert client.get(url).json()["signature_count"] == 1
    # The count plus the worker's batch stays well within invariant 4's 10 s.
    assert settings.PAGE_CACHE_SECONDS <= 8


def test_unknown_petition_is_a_404_and_not_cached(client):
    assert client.get("/en/petitions/nobody-here/").status_code == 404
    assert client.get("/petitions/nobody-here/count.json").status_code == 404
    petition = factories.petition(slug="nobody-here")
    assert client.get(petition.get_absolute_url()).status_code == 200


def test_urgent_action_page_is_cached_with_its_own_csrf_token(django_assert_num_queries):
    action = factories.urgent_action()
    url = action.get_absolute_url()
    visit(url)
    with django_assert_num_queries(0):
        client, page = visit(url)
    token = CSRF_INPUT.search(page).group(1)
    assert "hole" not in token and client.cookies["csrftoken"].value
    # The sample letter asked for is part of the key.
    _, english = visit(url + "?letter=en")
    _, default = visit(url)
    assert "Stop the force" in english and "Alto a la fuerza" in default


def test_page_cache_can_be_turned_off(settings):
    settings.PAGE_CACHE_SECONDS = 0
    petition = factories.petition()
    visit(petition.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        visit(petition.get_absolute_url())
    assert len(queries) > 0


def test_holes_depend_on_the_secret_key(settings):
    before = pagecache.holes()
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert set(before.values()).isdisjoint(pagecache.holes().values())


def test_app_servers_share_pages_through_redis(redis, django_assert_num_queries):
    """With CACHE_URL every app server reads the page one of them rendered."""
    petition = factories.petition()
    url = petition.get_absolute_url()
    first_client, first = visit(url)
    with django_assert_num_queries(0):
        client, page = visit(url)
    assert sign_form(page)["csrfmiddlewaretoken"] != sign_form(first)["csrfmiddlewaretoken"]
    assert petition.title in page and "hole" not in page
    count = Client().get(f"/petitions/{petition.slug}/count.json")
    with django_assert_num_queries(0):
        assert Client().get(f"/petitions/{petition.slug}/count.json").json() == count.json()


@pytest.mark.parametrize("kind", ["petition", "case"])
def test_a_kept_page_skips_the_stack_and_replays_its_headers(
    kind, stack, django_assert_num_queries
):
    campaign = factories.petition() if kind == "petition" else factories.urgent_action()
    url = campaign.get_absolute_url()
    with time_machine.travel(timezone.now(), tick=False):  # the cookies' expiry: the same
        miss = Client().get(url)
        assert stack == [url]
        with django_assert_num_queries(0):
            hit = Client().get(url)
    assert stack == [url]  # answered before SecurityMiddleware, or any other, ran
    # Every header the stack added when the page was kept, none missing, none added.
    assert dict(hit.headers) == dict(miss.headers)
    assert {"Content-Security-Policy", "Permissions-Policy", "X-Frame-Options"} <= set(hit.headers)
    assert hit["Content-Language"] == "en"
    assert hit["Content-Length"] == str(len(hit.content))
    # The CSRF cookie as CsrfViewMiddleware sets it, with a secret of its own.
    cookie, kept_cookie = hit.cookies["csrftoken"], miss.cookies["csrftoken"]
    assert cookie.value != kept_cookie.value
    assert dict(cookie) == dict(kept_cookie)  # max-age, path, secure, samesite...
    assert hit.cookies.keys() == {"csrftoken"}


def test_a_returning_visitor_keeps_their_csrf_secret(stack):
    petition = factories.petition()
    url = petition.get_absolute_url()
    client = Client(enforce_csrf_checks=True)
    client.get(url)  # renders and keeps the page, and gives this browser its secret
    secret = client.cookies["csrftoken"].value
    with time_machine.travel(
        timezone.now() + timedelta(seconds=settings.FORM_MIN_FILL_SECONDS + 1)
    ):
        page = client.get(url)
    assert stack == [url]  # the second view came from the cache
    assert client.cookies["csrftoken"].value == secret  # renewed, not replaced
    form = sign_form(page.content.decode())
    form.update(name="Ana Quispe", email="ana@example.org", country="PE", name_display="full")
    form["altcha"] = solution_for(petition)
    with time_machine.travel(
        timezone.now() + timedelta(seconds=2 * settings.FORM_MIN_FILL_SECONDS + 2)
    ):
        response = client.post(f"/en/petitions/{petition.slug}/sign/", form)
    assert response.status_code == 302  # the token was good for the cookie it already had
    assert Signature.objects.filter(petition=petition).count() == 1


def test_a_session_cookie_always_goes_through_the_stack(stack):
    petition = factories.petition()
    url = petition.get_absolute_url()
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = "a-session-of-their-own"
    client.get(url)
    visit(url)  # what a request with a session cookie made was not kept
    assert stack == [url, url]
    page = client.get(url)  # and what is kept now is not given to it
    assert stack == [url, url, url]
    assert page.status_code == 200 and petition.title in page.content.decode()


def test_a_messages_cookie_always_goes_through_the_stack(stack):
    petition = factories.petition()
    url = petition.get_absolute_url()
    visit(url)  # now kept
    client = Client()
    client.cookies["messages"] = "anything"
    client.get(url)
    assert stack == [url, url]


def test_kept_copies_are_apart_by_language_and_country(stack):
    petition = factories.petition()
    pages = {}
    for path, accept in [
        (f"/es/petitions/{petition.slug}/", "es-PE"),
        (f"/es/petitions/{petition.slug}/", "es-CL"),
        (f"/en/petitions/{petition.slug}/", "es-PE"),
    ]:
        visit(path, HTTP_ACCEPT_LANGUAGE=accept)  # renders and keeps it
        client = Client()
        response = client.get(path, HTTP_ACCEPT_LANGUAGE=accept)  # from the cache
        pages[path, accept] = (response["Content-Language"], response.content.decode())
    assert len(stack) == 3  # one render each, then a kept copy each
    language, page = pages[f"/es/petitions/{petition.slug}/", "es-PE"]
    assert language == "es" and "Firmar la petición" in page
    assert '<option value="PE" selected>' in page
    language, page = pages[f"/es/petitions/{petition.slug}/", "es-CL"]
    assert '<option value="CL" selected>' in page and '<option value="PE" selected>' not in page
    language, page = pages[f"/en/petitions/{petition.slug}/", "es-PE"]
    assert language == "en" and "Firmar la petición" not in page


def test_utm_source_shares_the_copy_and_fills_its_hole(stack, django_assert_num_queries):
    petition = factories.petition()
    url = petition.get_absolute_url()
    visit(url + "?utm_source=alice-newsletter&fbclid=abc")
    with django_assert_num_queries(0):
        _, page = visit(url + "?utm_source=bob-post", HTTP_REFERER="https://bob.example/")
    assert stack == [url]
    assert sign_form(page)["utm_source"] == "bob-post"
    assert sign_form(page)["referrer"] == "bob.example"
    assert "alice" not in page and "abc" not in page


def test_count_json_is_answered_before_the_stack(client, stack, django_assert_num_queries):
    petition = factories.petition()
    url = f"/petitions/{petition.slug}/count.json"
    miss = client.get(url)
    with django_assert_num_queries(0):
        hit = client.get(url)
    assert stack == [url]
    assert hit.json() == miss.json()
    assert dict(hit.headers) == dict(miss.headers)
    assert "public" in hit["Cache-Control"] and "stale-while-revalidate" in hit["Cache-Control"]
    assert not hit.cookies  # nothing of the visitor's: no CSRF cookie either
    # Labelled in the visitor's language by LocaleMiddleware: kept apart by it.
    spanish = client.get(url, HTTP_ACCEPT_LANGUAGE="es")
    assert spanish["Content-Language"] == "es" and len(stack) == 2


def test_https_rules_still_apply_to_kept_pages(settings, stack):
    settings.SECURE_HSTS_SECONDS = 3600
    petition = factories.petition()
    url = petition.get_absolute_url()
    Client().get(url, secure=True)  # kept
    hit = Client().get(url, secure=True)
    assert stack == [url]
    assert hit["Strict-Transport-Security"].startswith("max-age=3600")
    # A copy kept over HTTPS is not one for plain HTTP, which SecurityMiddleware
    # answers without HSTS...
    assert "Strict-Transport-Security" not in Client().get(url)
    # ...or sends to HTTPS.
    settings.SECURE_SSL_REDIRECT = True
    plain = Client().get(url)
    assert plain.status_code == 301 and plain["Location"].startswith("https://")


def test_a_kept_page_still_refuses_an_unknown_host(stack):
    petition = factories.petition()
    visit(petition.get_absolute_url())
    assert Client().get(petition.get_absolute_url(), HTTP_HOST="evil.example").status_code == 400


def test_keys_cover_the_kept_pages_and_no_other():
    petition, action = factories.petition(), factories.urgent_action()
    request = RequestFactory().get
    case = {"serial": action.serial, "year": action.year}
    kept = [
        ("home", {}),
        ("archive", {}),
        *((name, {"slug": petition.slug}) for name in pagecache_petition_pages()),
        ("embed_action", case),
    ]
    never = [
        *((name, {"slug": petition.slug}) for name in ("sign", "comment", "embed_sign")),
        *((name, case) for name in ("report", "write_letters", "send_letters")),
        ("confirm", {"token": "x" * 20}),
    ]
    for language, _name in settings.LANGUAGES:
        with override(language):
            assert pagecache.key(request(petition.get_absolute_url())) is not None
            assert pagecache.key(request(action.get_absolute_url())) is not None
            for name, kwargs in kept:
                assert pagecache.key(request(reverse(name, kwargs=kwargs))) is not None, name
            for name, kwargs in never:
                assert pagecache.key(request(reverse(name, kwargs=kwargs))) is None, name
    assert pagecache.key(request(reverse("count_json", kwargs={"slug": petition.slug})))
    # The sample letter asked for is part of the key; anything not a language code is not.
    url = action.get_absolute_url()
    assert pagecache.key(request(url + "?letter=en")) != pagecache.key(request(url))
    assert pagecache.key(request(url + "?letter=<x>")) == pagecache.key(request(url))


def pagecache_petition_pages():
    return ("signatures", "thanks", "confirmed", "comment_thanks", "embed_petition", "embed_thanks")


def same_for_all_urls(petition, action) -> list[str]:
    case = {"serial": action.serial, "year": action.year}
    return [
        reverse("home"),
        reverse("archive"),
        *(
            reverse(name, kwargs={"slug": petition.slug})
            for name in ("signatures", "thanks", "confirmed", "comment_thanks", "embed_thanks")
        ),
        reverse("embed_action", kwargs=case),
    ]


def test_pages_with_nothing_of_the_visitors_are_kept_and_public(stack):
    petition, action = factories.petition(), factories.urgent_action()
    for url in same_for_all_urls(petition, action):
        first = Client().get(url)
        assert first.status_code == 200, url
        again = Client().get(url)
        assert stack.count(url) == 1, url  # the second view never reached the stack
        assert again.content == first.content
        # Any cache on the way may keep it too, as long as the count JSON.
        assert "public" in again["Cache-Control"] and "max-age=5" in again["Cache-Control"]
        assert "stale-while-revalidate" in again["Cache-Control"]
        assert not again.cookies


def test_a_logged_in_organisers_list_is_theirs_alone(stack):
    org = factories.organisation()
    factories.petition(org=org, title="Free the Lima Nine")
    organiser = Client()
    organiser.force_login(factories.user(org=org))
    theirs = organiser.get("/en/")
    assert "Free the Lima Nine" in theirs.content.decode()
    assert "public" not in theirs.get("Cache-Control", "")
    Client().get("/en/")
    assert stack.count("/en/") == 2  # the organiser's page was not kept for the next visitor


def test_each_page_of_signers_is_kept_apart():
    petition = factories.petition()
    signers = [
        factories.signature(petition=petition, name=f"Signer {n:02}", confirmed=True)
        for n in range(12)
    ]
    apply_count_deltas()
    url = reverse("signatures", kwargs={"slug": petition.slug})
    mark = signers[2].pk  # the newest page ends with Signer 02
    first, older = (Client().get(url + q).content.decode() for q in ("", f"?before={mark}"))
    assert "Signer 11" in first and "Signer 11" not in older
    assert "Signer 00" in older and "Signer 00" not in first
    assert Client().get(url + f"?before={mark}").content.decode() == older
    assert Client().get(url + "?before=x").content.decode() == first  # the newest, as kept
    for query in ("?before=x", "?after=x", "?page=2", f"?before=&after=x{mark}"):
        assert pagecache.key(RequestFactory().get(url + query)) == pagecache.key(
            RequestFactory().get(url)
        )
    # ?before= wins over ?after=, in the key as in the view.
    assert pagecache.key(RequestFactory().get(url + f"?before={mark}&after=1")) == pagecache.key(
        RequestFactory().get(url + f"?before={mark}")
    )


def test_the_embed_sign_form_is_kept_and_each_visitor_gets_their_own_values(
    django_assert_num_queries,
):
    petition = factories.petition(embed_origins=["https://friends.example"])
    page = reverse("embed_petition", kwargs={"slug": petition.slug})
    sign = reverse("embed_sign", kwargs={"slug": petition.slug})
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = Client().get(page, HTTP_REFERER="https://news.example/story")
        clock.shift(settings.FORM_MIN_FILL_SECONDS + 1)
        visitor = Client(enforce_csrf_checks=True)
        with django_assert_num_queries(0):
            shown = visitor.get(page, HTTP_REFERER="https://friends.example/campaign")
        assert shown["Content-Security-Policy"] == first["Content-Security-Policy"]
        assert "frame-ancestors https://friends.example" in shown["Content-Security-Policy"]
        assert "X-Frame-Options" not in shown and not shown.cookies
        fields = hidden_fields(shown.content.decode(), sign)
        assert fields["referrer"] == "friends.example"  # this visitor's host page
        assert token_verdict(fields[STARTED]) == "too fast"  # rendered for them, just now
        assert hidden_fields(first.content.decode(), sign)[STARTED] != fields[STARTED]
        clock.shift(settings.FORM_MIN_FILL_SECONDS + 1)
        fields.update(name="Rosa Mamani", email="rosa@example.org", country="PE")
        fields.update(name_display="full", altcha=solution_for(petition))
        response = visitor.post(sign, fields, HTTP_ORIGIN="http://testserver")
    assert response.status_code == 302
    assert Signature.objects.get(petition=petition).referrer == "friends.example"
