"""An activist's journey through the demo urgent action, UA 105.22, in Chromium.

The worker is not running: each test calls ``deliver_due`` itself at the moment
a worker would have run. Letters sent "through Outcry" go to a real SMTP server
(aiosmtpd) that the test starts on 127.0.0.1, so the test reads what a target's
mail server would receive.
"""

import email
import email.policy
import io
import os
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from outcry.actions.models import ActionReport, LetterBatch, SampleLetter, UrgentAction
from outcry.actions.services import Draft, compose, confirm_letters, request_letters, totals
from outcry.campaigns.models import Petition, Target
from outcry.outbox.models import Message
from outcry.outbox.services import deliver_due
from outcry.privacy.digest import email_digest
from tests import factories
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

NUMBER = "UA 105.22"
HEADLINE = "18 killed during protests"
EARLIER_NUMBER = "UA 154.22"
EARLIER_HEADLINE = "Peru: Protesters killed and injured in violent crackdown"
PRESIDENT = "Dina Ercilia Boluarte Zegarra"
AMBASSADOR = "Oswaldo de Rivero"
ACTIVIST = "Rosa Quispe"
ACTIVIST_EMAIL = "rosa.quispe.ua@example.org"
CLOSED_MESSAGE = (
    "This action is closed: Outcry no longer sends letters for it. "
    "You can still report what you did."
)


def spanish(msgid: str) -> str:
    """The Spanish catalogue's wording for `msgid`, so no test hard-codes a translation."""
    with translation.override("es"):
        text = gettext(msgid)
    assert text != msgid, f"the Spanish catalogue does not translate {msgid!r}"
    return text


@pytest.fixture
def site(live_server, settings) -> str:
    """The live server with the real demo loaded; e-mail links point at it."""
    settings.SITE_URL = live_server.url
    # Playwright fills a form faster than a person can; the honeypot and the signed
    # render time are still checked on every post.
    settings.FORM_MIN_FILL_SECONDS = 0
    call_command("demo", stdout=io.StringIO())
    yield live_server.url
    # Each load saves another copy of the demo petition's image under MEDIA_ROOT.
    for petition in Petition.objects.exclude(image=""):
        petition.image.delete(save=False)


@dataclass
class Inbox:
    """An aiosmtpd handler keeping every message it is handed."""

    received: list[tuple[str, list[str], email.message.EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [message for _sender, rcpts, message in self.received if address in rcpts]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings) -> Inbox:
    """A local SMTP server that the outbox really delivers to."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.LOCAL_MAIL = False
    # pytest-django swaps in the in-memory backend for every test: put SMTP back.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = controller.hostname
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()


def case_url(site: str, language: str = "en", *rest: str) -> str:
    return "/".join([site, language, "actions", "ua-105-2022", *rest]) + "/"


def the_action() -> UrgentAction:
    return UrgentAction.objects.get(serial=105, year=2022)


def text_of(mail: email.message.EmailMessage) -> str:
    return mail.get_content().replace("\r\n", "\n")


def same_words(a: str, b: str) -> bool:
    return a.split() == b.split()


def mailto_parts(href: str) -> tuple[str, dict[str, str]]:
    """The address and the decoded query of a mailto: link."""
    scheme, rest = href.split(":", 1)
    assert scheme == "mailto"
    address, query = rest.split("?", 1)
    return unquote(address), {
        key: unquote(value) for key, value in (pair.split("=", 1) for pair in query.split("&"))
    }


def totals_on(page: Page, scope: str = "main") -> dict[str, str]:
    """The "By channel" table of the totals shown on the page, label → number."""
    table = (
        page.locator(scope)
        .locator("table")
        .filter(has=page.locator("caption", has_text="By channel"))
    )
    return {
        row.locator("th").inner_text(): row.locator("td").inner_text()
        for row in table.locator("tbody tr").all()
    }


def channels(**numbers: int) -> dict[str, str]:
    """All seven channels as the totals table shows them, zero unless given."""
    labels = {
        "letters": "Letters by post",
        "emails": "E-mails",
        "faxes": "Faxes",
        "calls": "Phone calls",
        "social_posts": "Social media posts",
        "contact_forms": "Contact-form messages",
        "other": "Other actions",
    }
    return {label: str(numbers.get(name, 0)) for name, label in labels.items()}


def screenshot(page: Page, name: str) -> None:
    """Keep a full-page picture when OUTCRY_SCREENSHOT_DIR is set."""
    shots = os.environ.get("OUTCRY_SCREENSHOT_DIR")
    if shots:
        page.screenshot(path=str(Path(shots) / name), full_page=True)


WIDER_THAN_THE_SCREEN = """
() => {
    const wide = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.parentElement.closest(".visually-hidden")) continue;  // clipped to 1px
        const range = document.createRange();
        range.selectNodeContents(node);
        if (range.getBoundingClientRect().right > window.innerWidth) {
            const parent = node.parentElement;
            wide.push(parent.tagName.toLowerCase() + " " + JSON.stringify(node.textContent.trim()));
        }
    }
    return wide.slice(0, 5);
}
"""


def assert_fits_the_phone(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    wide = page.evaluate(WIDER_THAN_THE_SCREEN)
    assert overflow <= 0, f"{page.url} scrolls {overflow}px sideways on a phone: {wide}"


def write_letters(page: Page, site: str, *, name: str) -> None:
    """Fill the case page's write form with its defaults and `name`, and prepare the letters."""
    form = page.locator("section.write form")
    boxes = form.locator("input[name=targets]")
    expect(boxes).to_have_count(2)
    for i in range(2):
        expect(boxes.nth(i)).to_be_checked()
    form.locator("input[name=name]").fill(name)
    form.get_by_role("button", name="Prepare my letters").click()
    page.wait_for_url(case_url(site, "en", "write"))


def letter_card(page: Page, target: Target):
    return page.locator("section.letter-card").filter(
        has=page.get_by_role("heading", name=f"To {target.name}")
    )


def report(page: Page, *, country: str = "Peru", email_address: str = "", **numbers: int) -> None:
    form = page.locator("main form.report")
    for name, value in numbers.items():
        form.locator(f"input[name={name}]").fill(str(value))
    form.locator("select[name=country]").select_option(label=country)
    form.locator("input[name=email]").fill(email_address)
    form.locator("button[type=submit]").click()


def test_activist_writes_sends_through_outcry_reports_and_sees_totals(site, page, smtp_server):
    action = the_action()
    president, ambassador = action.ordered_targets()
    assert (president.name, ambassador.name) == (PRESIDENT, AMBASSADOR)
    spanish_letter = SampleLetter.objects.get(action=action, language="es")
    english_letter = SampleLetter.objects.get(action=action, language="en")

    # The case, from the home page.
    page.goto(site + "/")
    expect(page).to_have_url(site + "/en/")
    page.get_by_role("link", name=HEADLINE).click()
    expect(page).to_have_url(case_url(site))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main .kind").first).to_contain_text(NUMBER)
    expect(page.get_by_role("heading", level=1)).to_have_text(HEADLINE)
    deadline = page.locator("dl.facts time")
    expect(deadline.last).to_have_attribute("datetime", action.deadline.isoformat())
    expect(deadline.last).to_have_text(date_format(action.deadline, "DATE_FORMAT"))

    # The chain: this action follows UA 154.22, whose page links back here.
    chain = page.get_by_role("navigation", name="This case, action by action")
    expect(chain.locator("[aria-current=page]")).to_contain_text(NUMBER)
    chain.get_by_role("link", name=f"{EARLIER_NUMBER}, {EARLIER_HEADLINE}").click()
    expect(page).to_have_url(site + "/en/actions/ua-154-2022/")
    expect(page.get_by_role("heading", level=1)).to_have_text(EARLIER_HEADLINE)
    chain = page.get_by_role("navigation", name="This case, action by action")
    chain.get_by_role("link", name=f"{NUMBER}, {HEADLINE}").click()
    expect(page).to_have_url(case_url(site))

    # Both targets, with every channel.
    contacts = page.locator("section[aria-labelledby=contacts]")
    president_card = contacts.locator(".target").filter(has_text=PRESIDENT)
    expect(president_card).to_contain_text("President of Peru")
    expect(president_card.locator("address")).to_contain_text("Jr. De la Unión S/N")
    expect(contacts.get_by_role("heading", name="Send a copy to")).to_be_visible()
    ambassador_card = contacts.locator(".target").filter(has_text=AMBASSADOR)
    expect(ambassador_card.get_by_role("link", name="+1 202 833 9860")).to_have_attribute(
        "href", "tel:+12028339860"
    )
    expect(ambassador_card.locator("dd").filter(has_text="+1 202 659 8124")).to_have_count(1)
    expect(ambassador_card.get_by_role("link", name="@PeruInTheUSA", exact=True)).to_have_attribute(
        "href", "https://twitter.com/PeruInTheUSA"
    )

    # The sample letter is in the targets' language, Spanish, and can be read in English.
    sample = page.locator("section[aria-labelledby=sample]")
    expect(sample.locator(".letter")).to_have_attribute("lang", "es")
    expect(sample.locator(".letter")).to_contain_text(spanish_letter.subject)
    expect(sample.locator(".letter")).to_contain_text("Señora Presidenta Dina Boluarte:")
    screenshot(page, "h6-case.png")
    assert_accessible(page)
    sample.get_by_role("link", name="Read it in English").click()
    expect(page).to_have_url(case_url(site) + "?letter=en#sample")
    english = page.locator("section[aria-labelledby=sample] .letter")
    expect(english).to_have_attribute("lang", "en")
    expect(english).to_contain_text(english_letter.subject)
    expect(english).to_contain_text("Dear Madam President Dina Boluarte,")

    # Write in Spanish, the language the officials read, signed with the activist's name.
    page.goto(case_url(site))
    form = page.locator("section.write form")
    expect(form.locator("select[name=language]")).to_have_value("es")
    expect(form.locator("input[name=subject]")).to_have_value(spanish_letter.subject)
    write_letters(page, site, name=ACTIVIST)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your letters")
    for target in (president, ambassador):
        card = letter_card(page, target)
        composed = compose(target=target, language="es", body=spanish_letter.body, name=ACTIVIST)
        text = card.locator(".letter-text").text_content()
        assert text == composed
        assert text.startswith(target.greeting("es") + "\n\n")
        assert text.rstrip().endswith(ACTIVIST)
        address, query = mailto_parts(card.locator("a[data-mailto]").get_attribute("href"))
        assert address == target.emails[0]
        assert set(query) == {"subject", "body"}
        assert query["subject"] == spanish_letter.subject
        # The textarea posts CRLF line breaks (as every browser does); the letter is
        # otherwise the composed one, character for character.
        assert query["body"].replace("\r\n", "\n") == composed
    expect(letter_card(page, ambassador).locator(".badge")).to_have_text("copy")
    expect(
        letter_card(page, ambassador).get_by_role("link", name="+1 202 833 9860")
    ).to_be_visible()
    screenshot(page, "h6-letters.png")
    assert_accessible(page)
    letters_url = page.url

    # The print view of the ambassador's letter: date, address, fax, text.
    letter_card(page, ambassador).get_by_role("button", name="Print it to post or fax").click()
    page.wait_for_url(case_url(site, "en", "print"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    today = timezone.localdate()
    printed = page.locator("article.printed-letter")
    expect(printed).to_have_count(1)
    date = printed.locator(".date time")
    expect(date).to_have_attribute("datetime", today.isoformat())
    with translation.override("es"):
        expect(date).to_have_text(date_format(today, "DATE_FORMAT"))
    recipient = printed.locator("address.recipient")
    for line in [ambassador.name, ambassador.role, ambassador.institution]:
        expect(recipient).to_contain_text(line)
    assert same_words(
        recipient.inner_text(),
        "\n".join(
            [ambassador.name, ambassador.role, ambassador.institution, ambassador.postal_address]
        ),
    )
    expect(printed.locator(".fax")).to_contain_text(ambassador.fax)
    expect(printed.locator(".subject")).to_have_text(spanish_letter.subject)
    assert same_words(
        printed.locator(".text").inner_text(),
        compose(target=ambassador, language="es", body=spanish_letter.body, name=ACTIVIST),
    )
    assert_accessible(page)
    page.go_back()
    expect(page).to_have_url(letters_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your letters")

    # Send both letters through Outcry: first the activist confirms their address.
    outcry = page.locator("section[aria-labelledby=via-outcry]")
    outcry.locator("input[name=email]").fill(ACTIVIST_EMAIL)
    outcry.locator("select[name=country]").select_option(label="Peru")
    outcry.get_by_role("button", name="Send my letters by e-mail").click()
    expect(page).to_have_url(case_url(site, "en", "sent"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    assert_accessible(page)
    batch = LetterBatch.objects.get(email_digest=email_digest(ACTIVIST_EMAIL))
    assert (batch.name, batch.country, batch.confirmed_at) == (ACTIVIST, "PE", None)
    assert batch.letters.count() == 2

    assert deliver_due() == 1
    (confirmation,) = smtp_server.to(ACTIVIST_EMAIL)
    assert confirmation["Subject"] == f"Confirm your letters on {NUMBER}"
    body = text_of(confirmation)
    assert PRESIDENT in body and AMBASSADOR in body
    # Besides the "my data" link every e-mail ends with, the one confirmation link.
    links = [u for u in re.findall(r"https?://\S+", body) if "/my-data/" not in u]
    assert len(links) == 1, body
    (link,) = links
    assert link.startswith(site + "/en/letters/confirm/")

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Send my letters")
    expect(page.locator("main li").filter(has_text=PRESIDENT)).to_have_count(1)
    expect(page.locator("main li").filter(has_text=AMBASSADOR)).to_have_count(1)
    assert_accessible(page)
    # Opening the link sent nothing: only the button does.
    assert not Message.objects.filter(template="actions/email/letter").exists()
    batch.refresh_from_db()
    assert batch.confirmed_at is None

    page.get_by_role("button", name="Send my letters").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your letters are on their way"
    )
    status_url = page.url
    assert re.fullmatch(re.escape(site) + r"/en/letters/[^/]+/", status_url), status_url
    rows = page.locator("table.mailbox tbody tr")
    expect(rows).to_have_count(2)
    for name in (PRESIDENT, AMBASSADOR):
        expect(rows.filter(has_text=name)).to_contain_text("Waiting to be sent")
    assert_accessible(page)

    # Two different officials: both letters are due at once, under each one's hourly cap.
    assert deliver_due() == 2
    for target in (president, ambassador):
        (letter,) = smtp_server.to(target.emails[0])
        sender, recipients, _message = next(
            entry for entry in smtp_server.received if entry[2] is letter
        )
        assert recipients == [target.emails[0]]
        assert letter["To"] == target.emails[0]
        assert letter["Reply-To"] == ACTIVIST_EMAIL
        assert letter["From"] == django_settings.DEFAULT_FROM_EMAIL
        assert sender in django_settings.DEFAULT_FROM_EMAIL
        # Python folds the encoded subject onto a continuation line, and its parser
        # keeps the fold's leading space: a mail client shows the subject without it.
        assert letter["Subject"].strip() == spanish_letter.subject
        composed = compose(target=target, language="es", body=spanish_letter.body, name=ACTIVIST)
        assert text_of(letter).rstrip("\n") == composed.rstrip("\n")
    assert len(smtp_server.received) == 3

    page.reload()
    for name in (PRESIDENT, AMBASSADOR):
        expect(rows.filter(has_text=name)).to_contain_text("Sent on")
    expect(page.locator("table.mailbox")).not_to_contain_text("Waiting")

    # Report the two posted letters and a call; the e-mail address is optional.
    page.get_by_role("link", name="Report other actions").click()
    expect(page).to_have_url(case_url(site, "en", "report"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Report what you did on {NUMBER}")
    assert_accessible(page)
    report(page, letters=2, calls=1)
    expect(page).to_have_url(case_url(site, "en", "report", "thanks"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for acting")
    expect(page.locator("main .lead")).to_have_text(
        f"Your report on {NUMBER} is counted. We share the totals with the officials."
    )
    assert_accessible(page)
    saved = ActionReport.objects.get(action=action)
    assert (saved.letters, saved.calls, saved.emails, saved.country) == (2, 1, 0, "PE")
    assert (saved.status, saved.late, saved.email) == (ActionReport.Status.COUNTED, False, "")

    # The two letters Outcry delivered count as e-mails on their own. As `totals`
    # documents, someone who e-mailed through Outcry is one more person unless they
    # also reported under the same address: without it, two people.
    expected = channels(letters=2, emails=2, calls=1)
    assert totals_on(page) == expected
    expect(page.locator("main .counter")).to_have_text("2 people took action, 5 actions in all.")
    expect(page.locator("main")).to_contain_text(
        "The e-mails include 2 letters sent through Outcry."
    )
    by_country = page.locator("main table").filter(
        has=page.locator("caption", has_text="By country")
    )
    assert by_country.locator("tbody tr").inner_text().split() == ["Peru", "2", "5"]

    # Given the address the letters came from, the same report makes one person.
    page.get_by_role("link", name="Change my report").click()
    page.locator("main form.report input[name=email]").fill(ACTIVIST_EMAIL)
    page.get_by_role("button", name="Update my report").click()
    expect(page).to_have_url(case_url(site, "en", "report", "thanks"))
    assert totals_on(page) == expected
    expect(page.locator("main .counter")).to_have_text("1 person took action, 5 actions in all.")
    # (The by-country row is checked in test_by_country_totals_include_outcry_letters.)
    sums = totals(action)
    assert (sums.people, sums.actions, sums.emails_through_outcry) == (1, 5, 2)
    assert ActionReport.objects.get(action=action).email == ACTIVIST_EMAIL

    page.goto(case_url(site))
    assert totals_on(page, "section[aria-labelledby=totals]") == expected
    expect(page.locator("section[aria-labelledby=totals] .counter")).to_have_text(
        "1 person took action, 5 actions in all."
    )


def test_case_page_fits_a_phone(site, page):
    page.goto(case_url(site))
    assert_fits_the_phone(page)


def test_letters_page_fits_a_phone(site, page):
    page.goto(case_url(site))
    write_letters(page, site, name=ACTIVIST)
    assert_fits_the_phone(page)


def test_by_country_totals_include_outcry_letters(site, page):
    action = the_action()
    spanish_letter = SampleLetter.objects.get(action=action, language="es")
    batch = request_letters(
        action=action,
        name=ACTIVIST,
        email=ACTIVIST_EMAIL,
        country="PE",
        language="en",
        drafts=[
            Draft(
                target=target,
                subject=spanish_letter.subject,
                body=compose(target=target, language="es", body=spanish_letter.body, name=ACTIVIST),
            )
            for target in action.ordered_targets()
        ],
    )
    raw_token = factories.messages_to(ACTIVIST_EMAIL)[0].context["confirm_url"].split("/")[-2]
    assert confirm_letters(raw_token=raw_token) == batch
    assert deliver_due() == 3  # local mail: the confirmation and the two letters
    page.goto(case_url(site, "en", "report"))
    report(page, letters=2, calls=1, email_address=ACTIVIST_EMAIL)
    expect(page).to_have_url(case_url(site, "en", "report", "thanks"))

    assert totals_on(page) == channels(letters=2, emails=2, calls=1)
    expect(page.locator("main .counter")).to_have_text("1 person took action, 5 actions in all.")
    by_country = page.locator("main table").filter(
        has=page.locator("caption", has_text="By country")
    )
    expect(by_country.locator("tbody tr")).to_have_count(1)
    assert by_country.locator("tbody tr").inner_text().split() == ["Peru", "1", "5"]


def test_reporting_again_amends_the_same_report(site, page):
    action = the_action()
    page.goto(case_url(site, "en", "report"))
    report(page, letters=1)
    expect(page).to_have_url(case_url(site, "en", "report", "thanks"))
    assert totals_on(page) == channels(letters=1)

    page.get_by_role("link", name="Change my report").click()
    expect(page).to_have_url(case_url(site, "en", "report"))
    expect(page.locator("main .notice").first).to_contain_text("You reported before")
    form = page.locator("main form.report")
    expect(form.locator("input[name=letters]")).to_have_value("1")
    expect(form.locator("input[name=calls]")).to_have_value("0")
    expect(form.locator("select[name=country]")).to_have_value("PE")
    assert_accessible(page)
    form.locator("input[name=letters]").fill("3")
    form.locator("input[name=calls]").fill("1")
    form.get_by_role("button", name="Update my report").click()

    expect(page).to_have_url(case_url(site, "en", "report", "thanks"))
    assert totals_on(page) == channels(letters=3, calls=1)
    expect(page.locator("main .counter")).to_have_text("1 person took action, 4 actions in all.")
    (saved,) = ActionReport.objects.filter(action=action)
    assert (saved.letters, saved.calls) == (3, 1)
    page.goto(case_url(site))
    assert totals_on(page, "section[aria-labelledby=totals]") == channels(letters=3, calls=1)


def test_implausible_numbers_are_held_for_review(site, page):
    action = the_action()
    page.goto(case_url(site, "en", "report"))
    report(page, letters=25)
    expect(page).to_have_url(case_url(site, "en", "report", "thanks"))
    expect(page.locator("main .lead")).to_have_text(
        "Your report is in. Because the numbers are unusually high, "
        "a member of our team checks it before it counts."
    )
    assert totals_on(page) == channels()
    expect(page.locator("main .counter")).to_have_text("0 people took action, 0 actions in all.")
    assert_accessible(page)
    assert ActionReport.objects.get(action=action).status == ActionReport.Status.HELD
    page.goto(case_url(site))
    assert totals_on(page, "section[aria-labelledby=totals]") == channels()


def test_closed_case_refuses_outcry_email_but_still_takes_late_reports(site, page):
    action = the_action()
    action.status = UrgentAction.Status.CLOSED
    action.save(update_fields=["status"])
    spanish_letter = SampleLetter.objects.get(action=action, language="es")
    president, ambassador = action.ordered_targets()

    page.goto(case_url(site))
    expect(page.locator("main header .status")).to_have_text("Closed")
    assert_accessible(page)

    # Writing still works, but Outcry does not offer to send the letters.
    write_letters(page, site, name=ACTIVIST)
    outcry = page.locator("section[aria-labelledby=via-outcry]")
    expect(outcry.locator(".notice")).to_have_text(
        "Outcry no longer sends letters for this action. You can still use your own e-mail, "
        "post, fax or phone, after checking with your national office."
    )
    expect(outcry.locator("form")).to_have_count(0)
    expect(page.locator("input[name=email]")).to_have_count(0)
    assert_accessible(page)
    for target in (president, ambassador):
        address, query = mailto_parts(
            letter_card(page, target).locator("a[data-mailto]").get_attribute("href")
        )
        assert address == target.emails[0]
        assert query["subject"] == spanish_letter.subject

    letter_card(page, ambassador).get_by_role("button", name="Print it to post or fax").click()
    page.wait_for_url(case_url(site, "en", "print"))
    expect(page.locator("article.printed-letter .fax")).to_contain_text(ambassador.fax)
    page.go_back()

    # A send posted anyway is refused with a clear message, and nothing is kept.
    response = Client().post(
        case_url("", "en", "send"),
        {
            "targets": [president.pk, ambassador.pk],
            "language": "es",
            "subject": spanish_letter.subject,
            "body": spanish_letter.body,
            "name": ACTIVIST,
            "email": ACTIVIST_EMAIL,
            "country": "PE",
        },
    )
    assert response.status_code == 403
    assert CLOSED_MESSAGE in response.content.decode()
    assert not LetterBatch.objects.exists()
    assert not factories.messages_to(ACTIVIST_EMAIL)

    # A report is still taken, marked as late.
    page.goto(case_url(site, "en", "report"))
    expect(page.locator("main")).to_contain_text(
        "This action is past its deadline or closed. We still record your report, marked as late."
    )
    report(page, letters=1, calls=1)
    expect(page).to_have_url(case_url(site, "en", "report", "thanks"))
    expect(page.locator("main")).to_contain_text(
        "It is marked as late: it came after the deadline."
    )
    assert_accessible(page)
    saved = ActionReport.objects.get(action=action)
    assert (saved.late, saved.status) == (True, ActionReport.Status.COUNTED)
    assert totals_on(page) == channels(letters=1, calls=1)


def test_spanish_activist_gets_the_case_in_spanish(site, new_page):
    page = new_page(locale="es-PE")
    page.goto(site + "/")
    expect(page).to_have_url(site + "/es/")
    page.get_by_role("link", name=HEADLINE).click()
    expect(page).to_have_url(case_url(site, "es"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text(HEADLINE)
    # TODO: once the Spanish catalogue has the urgent-action strings, compare the
    # headings too: spanish("Write your letter"), spanish("Who to contact"),
    # spanish("Sample letter"), spanish("Prepare my letters"), spanish("Report what you did").
    form = page.locator("section.write form")
    expect(form.get_by_label(spanish("Your name"))).to_have_count(1)
    sample = page.locator("section[aria-labelledby=sample]")
    expect(sample.locator(".letter")).to_have_attribute("lang", "es")
    # The link to the English letter is worded in the page's language, so it must not
    # be marked as English.
    other = sample.locator("a[hreflang=en]")
    expect(other).to_have_attribute("href", "?letter=en#sample")
    assert other.get_attribute("lang") in (None, "es")
    assert_accessible(page)

    form.locator("input[name=name]").fill(ACTIVIST)
    form.locator("button[type=submit]").click()
    page.wait_for_url(case_url(site, "es", "write"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    outcry = page.locator("section[aria-labelledby=via-outcry]")
    # The country comes from the browser's language, es-PE.
    expect(outcry.locator("select[name=country]")).to_have_value("PE")
    outcry.locator("input[name=email]").fill(ACTIVIST_EMAIL)
    outcry.locator("button[type=submit]").click()
    expect(page).to_have_url(case_url(site, "es", "sent"))
    expect(page.get_by_role("heading", level=1)).to_have_text(spanish("Check your e-mail"))
    assert_accessible(page)

    batch = LetterBatch.objects.get(email_digest=email_digest(ACTIVIST_EMAIL))
    assert (batch.language, batch.country) == ("es", "PE")
    confirmation = factories.messages_to(ACTIVIST_EMAIL)[0]
    assert confirmation.language == "es"
    assert confirmation.context["confirm_url"].startswith(site + "/es/letters/confirm/")
