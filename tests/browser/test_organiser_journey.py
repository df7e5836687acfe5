"""An organiser's journey through the workspace, in Chromium against a live server.

An editor writes and publishes a petition, a supporter signs and comments, a
moderator approves the comment, and the editor downloads the delivery packet
and reads the numbers. Each person has their own browser context. The worker
is not running: the test calls ``deliver_due`` and ``apply_count_deltas`` at
the moment a worker would have run, so nothing waits on a clock.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from outcry.campaigns.models import Comment, Petition, Role
from outcry.outbox.services import deliver_due
from outcry.signing.models import Signature
from outcry.signing.services import apply_count_deltas
from tests import factories
from tests.browser.conftest import assert_accessible
from tests.browser.test_petition_journey import fill_sign_form, follow_confirm_link, open_mail

pytestmark = pytest.mark.browser

PASSWORD = "pw-for-tests-1"
SLUG = "free-the-cusco-water-defenders"
TITLE = "Free the Cusco water defenders"
GOAL = "Release the five people held for defending their river"
BODY = "Five community leaders were arrested after a **peaceful** march for clean water."
LETTER = (
    "Dear Minister,\n\n"
    "We call on you to release the Cusco water defenders without delay.\n\n"
    "Sincerely,"
)
LETTER_LINE = "We call on you to release the Cusco water defenders without delay."
SUPPORTER = "Teresa Condori Huamán"
SUPPORTER_EMAIL = "teresa.condori.organiser@example.org"
COMMENT = "My cousin is one of the five. Thank you for standing with them."


@pytest.fixture
def site(live_server, settings) -> str:
    """The live server; e-mail links point at it."""
    settings.SITE_URL = live_server.url
    # Playwright fills a form faster than a person can; the honeypot and the signed
    # render time are still checked on every post.
    settings.FORM_MIN_FILL_SECONDS = 0
    return live_server.url


@pytest.fixture
def team():
    """An organisation with an editor, a moderator and one official in its directory."""
    org = factories.organisation(name="Derechos Cusco", slug="derechos-cusco")
    return {
        "org": org,
        "editor": factories.user(org=org, role=Role.EDITOR, username="elena.editor"),
        "moderator": factories.user(org=org, role=Role.MODERATOR, username="mateo.moderator"),
        "target": factories.target(
            org=org, name="Rosa Gutiérrez", role="Minister of the Interior", emails=[]
        ),
    }


class Workspace:
    """Runs axe on each workspace page visited; the problems are reported at the end."""

    def __init__(self):
        self.problems: list[str] = []

    def check(self, page: Page, what: str) -> None:
        try:
            assert_accessible(page)
        except AssertionError as exc:
            self.problems.append(f"{what}: {exc}")


def log_in(page: Page, site: str, username: str, workspace: Workspace) -> None:
    """Log in through the organiser form; one membership lands on its dashboard."""
    page.goto(f"{site}/en/organiser/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Organiser login")
    workspace.check(page, "login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Campaigns")


def local_minute(when) -> str:
    """A time as a datetime-local field takes it, in the site's time zone."""
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def pdf_text(path: Path) -> str:
    reader = PdfReader(path)
    metadata = " ".join(str(v) for v in (reader.metadata or {}).values())
    return "\n".join(p.extract_text() for p in reader.pages) + "\n" + metadata


def test_editor_publishes_supporter_signs_moderator_approves_editor_delivers(site, team, new_page):
    org, workspace = team["org"], Workspace()
    dashboard_url = f"{site}/en/organiser/{org.slug}/"

    # The editor logs in and writes the petition.
    editor = new_page()
    log_in(editor, site, "elena.editor", workspace)
    expect(editor).to_have_url(dashboard_url)
    expect(editor.get_by_role("navigation", name="Workspace")).to_contain_text(org.name)
    expect(editor.locator("main")).to_contain_text("No petitions yet.")
    workspace.check(editor, "dashboard")

    editor.get_by_role("link", name="New petition").click()
    expect(editor).to_have_url(f"{dashboard_url}petitions/new/")
    expect(editor.get_by_role("heading", level=1)).to_have_text("New petition")
    workspace.check(editor, "new petition form")
    form = editor.locator("form.authoring")
    form.get_by_label("Title").fill(TITLE)
    form.get_by_label("Web address").fill(SLUG)
    form.get_by_label("Goal in one line").fill(GOAL)
    form.get_by_label("Target", exact=True).select_option(label=str(team["target"]))
    form.get_by_label("The case (Markdown)").fill(BODY)
    form.get_by_label("Open letter (Markdown)").fill(LETTER)
    form.get_by_label("Published", exact=True).fill(
        local_minute(timezone.now() - timedelta(minutes=1))
    )
    expect(form.get_by_label("Hold comments for moderation")).to_be_checked()
    form.get_by_role("button", name="Save", exact=True).click()

    expect(editor).to_have_url(re.compile(rf"{re.escape(dashboard_url)}petitions/\d+/edit/"))
    petition = Petition.objects.get(slug=SLUG)
    expect(editor).to_have_url(f"{dashboard_url}petitions/{petition.pk}/edit/")
    expect(editor.get_by_role("heading", level=1)).to_have_text("Edit petition")
    expect(editor.locator("p.status")).to_contain_text("Open")
    workspace.check(editor, "edit petition form")
    assert (petition.organisation, petition.target) == (org, team["target"])
    assert petition.comments_premoderated

    editor.get_by_role("link", name="Public page").click()
    public_url = f"{site}/en/petitions/{SLUG}/"
    expect(editor).to_have_url(public_url)
    expect(editor.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(editor.locator(".petition-head .to")).to_contain_text("Rosa Gutiérrez")
    expect(editor.locator("main")).to_contain_text(LETTER_LINE)
    expect(editor.locator("main strong").filter(has_text="peaceful")).to_have_count(1)
    expect(editor.locator("[data-count]")).to_have_text("0")

    # A supporter signs and confirms through the link in the local mailbox.
    supporter = new_page()
    supporter.goto(public_url)
    form = fill_sign_form(
        supporter, name=SUPPORTER, email=SUPPORTER_EMAIL, country="Peru", display="My full name"
    )
    form.get_by_role("button", name="Sign the petition").click()
    expect(supporter).to_have_url(f"{public_url}thanks/")

    assert deliver_due() == 1
    open_mail(supporter, site, to=SUPPORTER_EMAIL, subject=f"Confirm your signature: {TITLE}")
    follow_confirm_link(supporter)
    supporter.get_by_role("button", name="Confirm my signature").click()
    expect(supporter).to_have_url(f"{public_url}confirmed/")
    assert factories.signature_of(SUPPORTER_EMAIL).state == Signature.State.CONFIRMED
    apply_count_deltas()

    # ...and comments: held for moderation.
    supporter.goto(public_url)
    expect(supporter.locator("[data-count]")).to_have_text("1")
    comments = supporter.locator("section.comments form")
    comments.get_by_label("Your name").fill(SUPPORTER)
    comments.get_by_label("Your e-mail address").fill(SUPPORTER_EMAIL)
    comments.get_by_label("Why I signed").fill(COMMENT)
    comments.get_by_role("button", name="Post comment").click()
    expect(supporter).to_have_url(f"{public_url}comments/thanks/")
    supporter.goto(public_url)
    expect(supporter.locator("section.comments")).not_to_contain_text(COMMENT)
    assert Comment.objects.get(text=COMMENT).status == Comment.Status.PENDING

    # The moderator approves it from the queue.
    moderator = new_page()
    log_in(moderator, site, "mateo.moderator", workspace)
    moderator.get_by_role("navigation", name="Workspace").get_by_role(
        "link", name="Moderation"
    ).click()
    expect(moderator).to_have_url(f"{dashboard_url}moderation/")
    tabs = moderator.get_by_role("navigation", name="Moderation queues")
    expect(tabs.get_by_role("link", name="Waiting comments")).to_have_attribute(
        "aria-current", "page"
    )
    expect(tabs.get_by_role("link", name="Waiting comments")).to_contain_text("1")
    queue = moderator.locator("form.moderation-queue")
    row = queue.locator("tbody tr").filter(has_text=COMMENT)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(TITLE)
    expect(row).not_to_contain_text(SUPPORTER_EMAIL)
    workspace.check(moderator, "moderation queue")
    queue.get_by_role("checkbox", name=SUPPORTER).check()
    queue.get_by_role("button", name="Approve").click()
    expect(moderator.locator("[role=status]")).to_contain_text(
        "1 comment approved: it shows on its petition."
    )
    expect(moderator.locator("main")).to_contain_text("No comments are waiting for moderation.")
    workspace.check(moderator, "moderation queue, after approving")

    supporter.reload()
    posted = supporter.locator("article.comment").filter(has_text=COMMENT)
    expect(posted).to_have_count(1)
    expect(posted.get_by_role("heading")).to_have_text(SUPPORTER)
    assert SUPPORTER_EMAIL not in supporter.content()

    # The editor opens the delivery page from the dashboard and downloads the packet.
    editor.goto(dashboard_url)  # the editor is still on the public page
    row = editor.locator("table.listing tbody tr").filter(has_text=TITLE)
    expect(row.locator("td.num")).to_have_text("1")
    expect(row).to_contain_text("Open")
    workspace.check(editor, "dashboard, with the petition")
    row.get_by_role("link", name=f"Delivery · {TITLE}").click()
    expect(editor).to_have_url(f"{dashboard_url}petitions/{petition.pk}/delivery/")
    expect(editor.get_by_role("heading", level=1)).to_have_text(f"Delivery: {TITLE}")
    expect(editor.locator(".delivery-count .counter strong")).to_have_text("1")
    workspace.check(editor, "delivery page")
    with editor.expect_download() as download_info:
        editor.get_by_role("link", name="Download the packet (PDF)").click()
    download = download_info.value
    assert re.fullmatch(
        rf"{SLUG}-delivery-\d{{4}}-\d{{2}}-\d{{2}}\.pdf", download.suggested_filename
    )
    text = pdf_text(Path(download.path()))
    words = " ".join(text.split())
    assert "1 verified signature " in words + " ", text
    assert "Signed by 1 person." in words, text
    assert SUPPORTER in text, text
    assert LETTER_LINE in words, text
    assert "Rosa Gutiérrez" in text, text
    assert "@" not in text, text

    # The numbers page: its headline is the public count.
    editor.goto(dashboard_url)
    editor.get_by_role("link", name=f"Numbers · {TITLE}").click()
    expect(editor).to_have_url(f"{dashboard_url}petitions/{petition.pk}/numbers/")
    expect(editor.get_by_role("heading", level=1)).to_have_text(TITLE)
    headline = editor.locator(".stats-headline [data-count]").inner_text()
    workspace.check(editor, "numbers page")
    editor.get_by_role("link", name="The public page").click()
    expect(editor).to_have_url(public_url)
    expect(editor.locator("[data-count]")).to_have_text(headline)
    assert headline == "1"

    assert not workspace.problems, "\n\n".join(workspace.problems)
