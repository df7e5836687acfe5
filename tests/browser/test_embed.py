"""The embed on another site, in Chromium: a host page on its own origin pastes the snippet.

The host page is served by a tiny http.server on 127.0.0.1 while Outcry's live
server answers on localhost: another origin and another *site*, so the frame is
a third-party frame and no SameSite cookie would reach it.
"""

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Browser, Page, expect

from outcry.campaigns.embeds import embed_snippet
from outcry.guard.models import SpentChallenge
from outcry.outbox.services import deliver_due
from outcry.signing.models import Signature
from outcry.signing.services import apply_count_deltas
from tests import factories
from tests.browser.conftest import PHONE_VIEWPORT, assert_accessible, tab_to

pytestmark = pytest.mark.browser


def spanish(msgid: str) -> str:
    with translation.override("es"):
        text = gettext(msgid)
    assert text != msgid, f"the Spanish catalogue does not translate {msgid!r}"
    return text


class HostPage(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        body = self.server.html.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def host() -> Iterator[ThreadingHTTPServer]:
    """Another site: set `host.html`, open `host.url`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), HostPage)
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    server.html = ""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def site(live_server, settings) -> str:
    settings.SITE_URL = live_server.url
    settings.FORM_MIN_FILL_SECONDS = 0  # Playwright fills forms faster than people
    return live_server.url


def host_page(petition, *, lang: str) -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>A partner's campaign page</title></head><body><main>"
        "<h1>Our campaign</h1>"
        f"{embed_snippet(petition, language=petition.language)}"
        "</main></body></html>"
    )


def test_a_visitor_signs_in_the_frame_on_another_site_and_the_counter_updates(site, host, new_page):
    petition = factories.petition(title="Justicia para Rosa", embed_origins=[host.url])
    host.html = host_page(petition, lang="es-PE")
    page: Page = new_page(locale="es-PE")
    page.clock.install()
    page.goto(host.url)

    frame_element = page.locator(f"iframe[title='{petition.title}']")
    expect(frame_element).to_have_attribute("src", f"{site}/es/petitions/{petition.slug}/embed/")
    frame = page.frame_locator("iframe")
    expect(frame.locator("[data-count]")).to_have_text("0")
    # The frame grows to its content: no scroll bar inside, none cut off.
    # (Retried from Playwright's side: the page's own timers are the fake clock's.)
    expect(frame_element).not_to_have_attribute("style", re.compile(r"height: 720px"))
    inner = frame.locator("html").evaluate("html => html.getBoundingClientRect().height")
    outer = frame_element.evaluate("iframe => iframe.getBoundingClientRect().height")
    assert abs(inner - outer) <= 1, (inner, outer)

    form = frame.locator("form.sign")
    form.locator("input[name=name]").fill("Rosa Mamani")
    form.locator("input[name=email]").fill("rosa.frame@example.org")
    form.get_by_role("radio", name=spanish("My full name")).check()
    form.get_by_role("button", name=spanish("Sign the petition")).click()
    # The thanks step stays in the frame, in Spanish; the host page stays where it was.
    expect(frame.get_by_role("heading", level=1)).to_have_text(spanish("Check your e-mail"))
    assert page.url.rstrip("/") == host.url
    assert page.context.cookies() == []  # nothing needed one, so nothing was set

    signature = Signature.objects.get(petition=petition)
    assert (signature.language, signature.referrer) == ("es", "127.0.0.1")
    assert SpentChallenge.objects.count() == 1  # the widget in the frame solved its check
    assert deliver_due() == 1
    # The confirmation e-mail, in the local mailbox: its link opens a page whose button confirms.
    mail = page.context.new_page()
    mail.goto(site + "/mailbox/")
    rows = mail.locator("table.mailbox tbody tr").filter(has_text="rosa.frame@example.org")
    rows.get_by_role("link").click()
    link = mail.locator("pre.mail a").filter(has_text="/es/confirm/")
    href = link.get_attribute("href")
    link.click()
    mail.wait_for_url(href)
    mail.get_by_role("button", name=spanish("Confirm my signature")).click()
    expect(mail).to_have_url(f"{site}/es/petitions/{petition.slug}/confirmed/")
    mail.close()
    apply_count_deltas()

    # The frame's counter refreshes itself every ten seconds.
    page.bring_to_front()
    page.clock.run_for(11_000)
    expect(frame.locator("[data-count]")).to_have_text("1")


@pytest.mark.parametrize("listed", [["https://friends.example"], []], ids=["other", "none"])
def test_a_site_not_on_the_list_is_refused_the_frame(site, host, browser: Browser, listed):
    petition = factories.petition(embed_origins=listed)
    host.html = host_page(petition, lang="en")
    # Not the `page` fixture: it fails any test that trips a Content-Security-Policy,
    # and here tripping it is the point.
    context = browser.new_context(viewport=PHONE_VIEWPORT)
    try:
        page = context.new_page()
        refused = lambda message: "frame-ancestors" in message.text  # noqa: E731
        with page.expect_console_message(refused, timeout=10_000) as message:
            page.goto(host.url)
        assert "has been blocked" in message.value.text, message.value.text
        expect(page.locator("iframe")).to_have_count(1)
        expect(page.frame_locator("iframe").locator("form.sign")).to_have_count(0)
    finally:
        context.close()
    assert not Signature.objects.exists()


@pytest.mark.parametrize("language,locale", [("en", "en-GB"), ("es", "es-PE")])
def test_embed_pages_are_accessible(site, new_page, language, locale):
    petition = factories.petition(embed_origins=["https://friends.example"])
    action = factories.urgent_action()
    page = new_page(locale=locale)
    for path in (
        f"/{language}/petitions/{petition.slug}/embed/",
        f"/{language}/petitions/{petition.slug}/embed/thanks/",
        f"/{language}/actions/ua-{action.serial}-{action.year}/embed/",
    ):
        page.goto(site + path)
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert_accessible(page)
    # Sent empty, the form says what to fix, and that too is accessible.
    page.goto(f"{site}/{language}/petitions/{petition.slug}/embed/")
    page.locator("form.sign button[type=submit]").click()
    expect(page.locator("#sign-errors")).to_be_visible()
    assert_accessible(page)


def test_without_javascript_the_plain_frame_shows(site, host, browser: Browser):
    petition = factories.petition(embed_origins=[host.url])
    host.html = host_page(petition, lang="en")
    context = browser.new_context(viewport=PHONE_VIEWPORT, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(host.url)
        frame = page.frame_locator("iframe")
        expect(frame.locator("form.sign")).to_be_visible()
        expect(frame.locator("[data-count]")).to_have_text("0")
    finally:
        context.close()


def test_a_keyboard_user_signs_in_the_embed(site, page):
    """The robot check in the embed, found, solved and passed with the keyboard only."""
    petition = factories.petition(language="es")
    page.goto(f"{site}/es/petitions/{petition.slug}/embed/")
    check = page.locator("form.sign [data-robot-check]")
    tab_to(page, "form.sign input[name=name]")
    page.keyboard.type("Rosa Mamani")
    page.keyboard.press("Tab")
    page.keyboard.type("rosa.embed@example.org")
    expect(check.locator("[data-robot-status]")).to_have_text(
        spanish("Robot check done"), timeout=20_000
    )
    assert_accessible(page)
    tab_to(page, "form.sign button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site}/es/petitions/{petition.slug}/embed/thanks/")
    assert Signature.objects.filter(petition=petition, language="es").count() == 1
