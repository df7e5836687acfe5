"""The robot check in real Chromium: solved by the vendored widget and its worker,
with the keyboard only, announced to screen readers, and accessible (axe)."""

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from outcry.guard.models import SpentChallenge
from outcry.signing.models import Signature
from tests import factories
from tests.browser.conftest import assert_accessible, tab_to

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live_server, settings) -> str:
    settings.SITE_URL = live_server.url
    settings.FORM_MIN_FILL_SECONDS = 0  # Playwright types faster than people
    return live_server.url


def spanish(msgid: str) -> str:
    with translation.override("es"):
        text = gettext(msgid)
    assert text != msgid, f"the Spanish catalogue does not translate {msgid!r}"
    return text


def test_a_keyboard_user_signs_and_the_widget_solves_the_check_in_the_browser(site, page):
    petition = factories.petition(altcha_max_number=5000)
    page.goto(f"{site}/en/petitions/{petition.slug}/")
    form = page.locator("form.sign")
    check = form.locator("[data-robot-check]")
    expect(check.locator("altcha-widget")).to_be_attached()

    tab_to(page, "form.sign input[name=name]")
    page.keyboard.type("Ana Quispe")
    page.keyboard.press("Tab")
    page.keyboard.type("ana.keys@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("Peru")  # a select takes the typed name
    # Moving into the form started the check; the live region says when it is done.
    expect(check.locator("[data-robot-status]")).to_have_text("Robot check done", timeout=20_000)
    expect(check.locator("[data-robot-status]")).to_have_attribute("aria-live", "polite")
    # The widget's checkbox is a real, labelled checkbox, in the tab order.
    box = check.get_by_role("checkbox", name="Robot check done")
    expect(box).to_be_checked()
    assert_accessible(page)

    tab_to(page, "form.sign button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site}/en/petitions/{petition.slug}/thanks/")
    signature = Signature.objects.get(petition=petition)
    assert signature.country == "PE"
    assert SpentChallenge.objects.count() == 1  # the browser's solution, used once


def test_a_quick_submit_waits_for_the_check_then_goes(site, page):
    petition = factories.petition(altcha_max_number=50_000)
    page.goto(f"{site}/en/petitions/{petition.slug}/")
    form = page.locator("form.sign")
    form.locator("input[name=name]").fill("Luis Huamán")
    form.locator("input[name=email]").fill("luis.quick@example.org")
    form.locator("select[name=country]").select_option("PE")
    form.get_by_role("button", name="Sign the petition").press("Enter")
    page.wait_for_url(f"{site}/en/petitions/{petition.slug}/thanks/", timeout=30_000)
    assert Signature.objects.filter(petition=petition).count() == 1


def test_the_widget_speaks_spanish_and_the_page_stays_accessible(site, new_page):
    petition = factories.petition()
    page = new_page(locale="es-PE")
    page.goto(f"{site}/es/petitions/{petition.slug}/")
    check = page.locator("form.sign [data-robot-check]")
    expect(check.get_by_role("checkbox", name=spanish("I am not a robot"))).to_be_visible()
    assert_accessible(page)
    page.locator("form.sign input[name=name]").focus()
    expect(check.locator("[data-robot-status]")).to_have_text(
        spanish("Robot check done"), timeout=20_000
    )
    assert_accessible(page)
