"""A supporter's journey through the demo petition, in Chromium against a live server.

The worker is not running: each test calls ``deliver_due`` and
``apply_count_deltas`` itself at the moment a worker would have run, so
nothing waits on a clock.
"""

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from outcry.campaigns.models import Comment, Organisation, Petition
from outcry.outbox.services import deliver_due
from outcry.privacy.digest import email_digest
from outcry.signing import services
from outcry.signing.models import NameDisplay, Signature
from outcry.signing.services import apply_count_deltas
from tests import factories
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

SLUG = "protect-peruvian-protesters"
TITLE = "Demand Protection for Peruvian Protestors"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def spanish(msgid: str, **values) -> str:
    """The Spanish catalogue's wording for `msgid`, so no test hard-codes a translation."""
    with translation.override("es"):
        text = gettext(msgid)
    assert text != msgid, f"the Spanish catalogue does not translate {msgid!r}"
    return text % values if values else text


@pytest.fixture
def site(live_server, settings) -> str:
    """The live server with the real demo loaded; e-mail links point at it."""
    settings.SITE_URL = live_server.url
    # Playwright fills a form faster than a person can; the honeypot and the signed
    # render time are still checked on every post.
    settings.FORM_MIN_FILL_SECONDS = 0
    call_command("demo", stdout=io.StringIO())
    yield live_server.url
    # Each load saves another copy of the demo image under MEDIA_ROOT.
    for petition in Petition.objects.exclude(image=""):
        petition.image.delete(save=False)


def petition_url(site: str, language: str = "en", *rest: str) -> str:
    return "/".join([site, language, "petitions", SLUG, *rest]) + "/"


def fill_sign_form(page: Page, *, name: str, email: str, country: str | None, display: str):
    form = page.locator("form.sign")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=email]").fill(email)
    if country is not None:
        form.locator("select[name=country]").select_option(label=country)
    form.get_by_role("radio", name=display).check()
    return form


def sign(page: Page, site: str, *, name: str, email: str, language: str = "en") -> None:
    """Sign the demo petition from its page, showing "My full name", as a visitor would."""
    page.goto(petition_url(site, language))
    display = "My full name" if language == "en" else spanish("My full name")
    form = fill_sign_form(page, name=name, email=email, country=None, display=display)
    form.locator("button[type=submit]").click()
    page.wait_for_url(petition_url(site, language, "thanks"))


def open_mail(page: Page, site: str, *, to: str, subject: str, nth: int = 0) -> None:
    """Open the `nth` newest message to `to` with `subject` in the local mailbox."""
    page.goto(site + "/mailbox/")
    row = page.locator("table.mailbox tbody tr").filter(has_text=to).filter(has_text=subject)
    row.nth(nth).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(subject)


def follow_confirm_link(page: Page) -> str:
    link = page.locator("pre.mail a").filter(has_text="/confirm/")
    expect(link).to_have_count(1)
    href = link.get_attribute("href")
    link.click()
    page.wait_for_url(href)
    return href


def test_english_supporter_signs_confirms_and_is_counted(site, page):
    page.goto(site + "/")
    expect(page).to_have_url(site + "/en/")
    page.get_by_role("link", name=TITLE).click()

    expect(page).to_have_url(petition_url(site))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator(".petition-head .to")).to_contain_text("Ollanta Humala")
    expect(page.locator("[data-count]")).to_have_text("90")
    petition = Petition.objects.get(slug=SLUG)
    image = page.get_by_role("img", name=petition.image_alt)
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth > 0"), "the image did not load"
    assert_accessible(page)

    # An empty form: the page says what to fix, next to each field and in a summary.
    form = page.locator("form.sign")
    form.get_by_role("button", name="Sign the petition").click()
    summary = page.locator("#sign-errors")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_contain_text("Please enter your name.")
    expect(summary).to_contain_text("Please enter your e-mail address.")
    name_field = page.locator("form.sign input[name=name]")
    expect(name_field).to_have_attribute("aria-invalid", "true")
    summary.get_by_role("link").first.click()
    expect(name_field).to_be_focused()
    assert_accessible(page)

    email = "ana.quispe.journey@example.org"
    form = fill_sign_form(
        page,
        name="Ana María Quispe",
        email=email,
        country="Peru",
        display="My first name and initial",
    )
    form.get_by_role("button", name="Sign the petition").click()
    expect(page).to_have_url(petition_url(site, "en", "thanks"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    assert_accessible(page)

    assert deliver_due() == 1
    open_mail(page, site, to=email, subject=f"Confirm your signature: {TITLE}")
    follow_confirm_link(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your signature")
    # Opening the link changed nothing: only the button confirms.
    signature = factories.signature_of(email)
    assert signature.state == Signature.State.PENDING
    assert (signature.country, signature.name_display) == ("PE", NameDisplay.SHORT)

    page.get_by_role("button", name="Confirm my signature").click()
    expect(page).to_have_url(petition_url(site, "en", "confirmed"))
    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED

    apply_count_deltas()
    page.goto(petition_url(site))
    expect(page.locator("[data-count]")).to_have_text("91")
    newest = page.locator("section[aria-labelledby=signers-heading] .signers li").first
    expect(newest).to_have_text("Ana Q.")
    assert email not in page.content()
    assert "Quispe" not in newest.inner_text()

    page.get_by_role("link", name="See all 91 signers").click()
    expect(page).to_have_url(petition_url(site, "en", "signatures"))
    expect(page.get_by_role("heading", level=1)).to_have_text("91 signatures")
    expect(page.locator(".signers li")).to_have_count(10)
    expect(page.locator(".signers li").first).to_have_text("Ana Q.")
    page.get_by_role("link", name="Older signers").click()
    expect(page.locator(".signers li")).to_have_count(10)
    expect(page.locator(".signers")).not_to_contain_text("Ana Q.")
    page.get_by_role("link", name="Newer signers").click()
    expect(page.locator(".signers li").first).to_have_text("Ana Q.")


def test_spanish_supporter_gets_spanish_pages_and_mail(site, new_page):
    page = new_page(locale="es-PE")
    page.goto(site + "/")
    expect(page).to_have_url(site + "/es/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.get_by_role("link", name=TITLE).click()

    expect(page).to_have_url(petition_url(site, "es"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    form = page.locator("form.sign")
    button = form.locator("button[type=submit]")
    expect(button).to_have_text(spanish("Sign the petition"))
    # The country comes from the browser's language, es-PE.
    expect(form.locator("select[name=country]")).to_have_value("PE")

    button.click()
    summary = page.locator("#sign-errors")
    expect(summary).to_contain_text(spanish("Please enter your name."))
    expect(summary).to_contain_text(spanish("Please correct the following:"))
    assert_accessible(page)

    email = "rosa.mamani.journey@example.org"
    fill_sign_form(
        page,
        name="Rosa Mamani",
        email=email,
        country=None,  # left as guessed
        display=spanish("My first name and initial"),
    )
    page.locator("form.sign button[type=submit]").click()
    expect(page).to_have_url(petition_url(site, "es", "thanks"))
    expect(page.get_by_role("heading", level=1)).to_have_text(spanish("Check your e-mail"))

    assert deliver_due() == 1
    subject = spanish("Confirm your signature: %(petition_title)s", petition_title=TITLE)
    open_mail(page, site, to=email, subject=subject)
    expect(page.locator("pre.mail")).to_contain_text(spanish("Hello %(name)s,", name="Rosa Mamani"))
    href = follow_confirm_link(page)
    assert href.startswith(site + "/es/confirm/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    assert factories.signature_of(email).state == Signature.State.PENDING

    page.get_by_role("button", name=spanish("Confirm my signature")).click()
    expect(page).to_have_url(petition_url(site, "es", "confirmed"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        spanish("Thank you: your signature counts")
    )
    signature = factories.signature_of(email)
    assert (signature.state, signature.language, signature.country) == ("confirmed", "es", "PE")

    apply_count_deltas()
    page.goto(petition_url(site, "es"))
    expect(page.locator("[data-count]")).to_have_text("91")
    expect(page.locator("section[aria-labelledby=signers-heading] .signers li").first).to_have_text(
        "Rosa M."
    )


def test_signing_twice_shows_the_same_page_and_counts_once(site, page):
    first, again = "maria.lopez@gmail.com", "MariaLopez+peru@googlemail.com"
    confirm_subject = f"Confirm your signature: {TITLE}"

    sign(page, site, name="María López", email=first)
    thanks_url, thanks_text = page.url, page.locator("main").inner_text()

    # Again before confirming: the same page, and a fresh link to the address on record.
    sign(page, site, name="María López", email=again)
    assert (page.url, page.locator("main").inner_text()) == (thanks_url, thanks_text)
    assert deliver_due() == 2
    assert sum(m.template == "signing/email/confirm" for m in factories.messages_to(first)) == 2

    open_mail(page, site, to=first, subject=confirm_subject, nth=0)
    follow_confirm_link(page)
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page).to_have_url(petition_url(site, "en", "confirmed"))

    # Again once confirmed: still the same page; the mailbox says so instead.
    sign(page, site, name="María López", email=again)
    assert (page.url, page.locator("main").inner_text()) == (thanks_url, thanks_text)
    assert deliver_due() == 1
    open_mail(page, site, to=again, subject=f"You have already signed: {TITLE}")
    expect(page.locator("pre.mail")).to_contain_text(petition_url(site))

    apply_count_deltas()
    page.goto(petition_url(site))
    expect(page.locator("[data-count]")).to_have_text("91")
    assert Signature.objects.filter(email_digest=email_digest("marialopez@gmail.com")).count() == 1
    assert Petition.objects.get(slug=SLUG).signature_count == 91


def public_pages(site: str, language: str) -> list[tuple[str, str, int]]:
    """(what, url, expected status) for every page a member of the public can reach."""
    petition = Petition.objects.get(slug=SLUG)
    factories.petition(
        org=Organisation.objects.get(slug="demo"),
        slug="closed-demo",
        title="A closed petition",
        closed_at=timezone.now() - timedelta(days=1),
    )

    def signed(email: str) -> tuple[Signature, str]:
        services.sign(
            petition=petition,
            name="Teresa Condori",
            email=email,
            country="PE",
            postcode="",
            name_display=NameDisplay.FULL,
            wants_updates=True,
            language=language,
        )
        message = factories.messages_to(email)[-1]
        return factories.signature_of(email), message.context["confirm_url"]

    _, pending_url = signed("pending@example.org")
    confirmed, used_url = signed("confirmed@example.org")
    services.confirm(raw_token=used_url.rstrip("/").rsplit("/", 1)[-1])
    deliver_due()
    message = factories.messages_to("pending@example.org")[-1]
    unsubscribe = services.localised_url(
        "unsubscribe", language, services.unsubscribe_token(confirmed)
    )
    pages = [
        ("home", f"{site}/{language}/", 200),
        ("archive", f"{site}/{language}/archive/", 200),
        ("petition", petition_url(site, language), 200),
        ("closed petition", f"{site}/{language}/petitions/closed-demo/", 200),
        ("signers", petition_url(site, language, "signatures"), 200),
        ("signers page 2", petition_url(site, language, "signatures") + "?page=2", 200),
        ("thanks", petition_url(site, language, "thanks"), 200),
        ("confirm", pending_url, 200),
        ("confirm, used link", used_url, 404),
        ("confirmed", petition_url(site, language, "confirmed"), 200),
        ("comment thanks", petition_url(site, language, "comments", "thanks"), 200),
        ("mailbox", f"{site}/mailbox/", 200),
        ("mailbox message", f"{site}/mailbox/{message.pk}/", 200),
        ("unsubscribe", unsubscribe, 200),
        ("unsubscribe, bad link", f"{site}/{language}/unsubscribe/nonsense/", 404),
    ]
    return pages


@pytest.mark.parametrize(("language", "locale"), [("en", "en-GB"), ("es", "es-PE")])
def test_every_public_page_is_accessible(site, new_page, language, locale):
    page = new_page(locale=locale)
    problems = []
    for what, url, status in public_pages(site, language):
        response = page.goto(url)
        assert response.status == status, f"{what}: {url} answered {response.status}"
        assert page.locator("html").get_attribute("lang") == language, f"{what}: {url}"
        try:
            assert_accessible(page)
        except AssertionError as exc:
            problems.append(f"{what}: {exc}")
        if what == "unsubscribe":  # and the page the button leads to
            page.locator("main form button").click()
            expect(page.locator("main form")).to_have_count(0)
            try:
                assert_accessible(page)
            except AssertionError as exc:
                problems.append(f"unsubscribed: {exc}")
    assert not problems, "\n\n".join(problems)


def test_keyboard_reaches_skip_link_first_then_name_before_submit(site, page):
    page.goto(petition_url(site))
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # it appears when focused
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.goto(petition_url(site))
    order = []
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.closest('form.sign') ? e.name || e.type : null; }"
        )
        order.append(focused)
        if focused == "submit":
            break
    assert "submit" in order, "Tab never reached the sign button"
    assert "name" in order, "Tab reached the sign button without passing the name field"
    assert order.index("name") < order.index("email") < order.index("submit")


def test_language_switcher_opens_the_same_petition_in_spanish(site, page):
    page.goto(petition_url(site))
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Español").click()
    expect(page).to_have_url(petition_url(site, "es"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("form.sign button[type=submit]")).to_have_text(spanish("Sign the petition"))
    expect(page.get_by_role("link", name="English")).to_have_attribute(
        "href", f"/en/petitions/{SLUG}/"
    )


def test_language_switcher_works_on_a_page_with_form_errors(site, page):
    page.goto(petition_url(site))
    page.locator("form.sign button[type=submit]").click()
    expect(page.locator("#sign-errors")).to_be_visible()
    with page.expect_navigation() as navigation:
        page.get_by_role("navigation", name="Language").get_by_role("link", name="Español").click()
    assert navigation.value.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "es")


def test_premoderated_comment_appears_only_once_approved(site, page):
    text = "Nobody should be shot for defending their water. Solidarity from Cusco."
    page.goto(petition_url(site))
    comments = page.locator("section.comments form")
    comments.locator("input[name=name]").fill("Iván Salazar")
    comments.locator("input[name=email]").fill("ivan.journey@example.org")
    comments.locator("textarea[name=text]").fill(text)
    comments.get_by_role("button", name="Post comment").click()

    expect(page).to_have_url(petition_url(site, "en", "comments", "thanks"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your comment")
    page.goto(petition_url(site))
    expect(page.locator("section.comments")).to_contain_text("Lucía Rojas")  # a demo comment
    expect(page.locator("section.comments")).not_to_contain_text(text)

    comment = Comment.objects.get(text=text)
    assert comment.status == Comment.Status.PENDING
    comment.status = Comment.Status.APPROVED
    comment.save(update_fields=["status"])
    page.reload()
    posted = page.locator("article.comment").filter(has_text=text)
    expect(posted).to_have_count(1)
    expect(posted.get_by_role("heading")).to_have_text("Iván Salazar")
    assert "ivan.journey@example.org" not in page.content()


def test_comment_form_fields_have_their_own_labels_and_error_links(site, page):
    page.goto(petition_url(site))
    comments = page.locator("section.comments form")
    # Each comment field is named by its own label (a duplicate id names the sign form's).
    expect(comments.get_by_role("textbox", name="Your name")).to_have_count(1, timeout=1000)
    comments.get_by_role("button", name="Post comment").click()
    page.locator("#comment-errors").get_by_role("link").first.click()
    expect(page.locator("section.comments form input[name=name]")).to_be_focused(timeout=1000)


def test_petition_page_fits_phone_and_desktop(site, page):
    """No sideways scrolling at either size. Screenshots when OUTCRY_SCREENSHOT_DIR is set."""
    shots = os.environ.get("OUTCRY_SCREENSHOT_DIR")
    for size, viewport in (("phone", page.viewport_size), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        page.goto(petition_url(site))
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{size}: the page scrolls {overflow}px sideways"
        if shots:
            page.screenshot(path=str(Path(shots) / f"h5-petition-{size}.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.goto(petition_url(site))
    button = page.locator("form.sign button[type=submit]")
    button.scroll_into_view_if_needed()
    expect(button).to_be_in_viewport()


def test_sign_button_is_reachable_on_a_laptop_screen(site, page):
    page.set_viewport_size(DESKTOP)
    page.goto(petition_url(site))
    page.get_by_role("heading", name="Sign the petition").scroll_into_view_if_needed()
    button = page.locator("form.sign button[type=submit]")
    button.scroll_into_view_if_needed()
    expect(button).to_be_in_viewport(timeout=1000)
