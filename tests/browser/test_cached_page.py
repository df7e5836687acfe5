"""Chromium signs through a petition page served from the page cache: another
visitor's cached copy, with this browser's own CSRF cookie and token filled in."""

import pytest
from playwright.sync_api import expect

from outcry.signing.models import Signature
from tests import factories
from tests.browser.test_petition_journey import fill_sign_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_browser_signs_through_a_cached_page(live_server, settings, new_page):
    settings.PAGE_CACHE_SECONDS = 5
    settings.FORM_MIN_FILL_SECONDS = 0  # Playwright fills the form at once
    petition = factories.petition()
    url = f"{live_server.url}/en/petitions/{petition.slug}/"
    first = new_page()
    first.goto(url)  # renders the page into the cache
    first_token = first.locator("form.sign input[name=csrfmiddlewaretoken]").get_attribute("value")

    visitor = new_page()  # a browser of its own: no cookies shared with the first
    visitor.goto(url)
    token = visitor.locator("form.sign input[name=csrfmiddlewaretoken]").get_attribute("value")
    assert token != first_token
    form = fill_sign_form(
        visitor, name="Ana Quispe", email="ana@example.org", country="Peru", display="My full name"
    )
    form.get_by_role("button", name="Sign the petition").click()
    expect(visitor).to_have_url(f"{url}thanks/")
    assert Signature.objects.filter(petition=petition).count() == 1
