"""A supporter opens "my data" from the link in an e-mail, downloads it and withdraws."""

import json

import pytest
from playwright.sync_api import Page, expect

from outcry.campaigns.models import Petition
from outcry.outbox.models import Message
from outcry.privacy.digest import email_digest
from outcry.signing.models import Signature
from outcry.signing.services import apply_count_deltas
from tests import factories
from tests.browser.conftest import assert_accessible
from tests.privacy.helpers import my_data_path, sign_and_confirm

pytestmark = pytest.mark.browser

EMAIL = "ana@example.org"


@pytest.fixture
def site(live_server, settings) -> str:
    settings.SITE_URL = live_server.url
    return live_server.url


def test_my_data_from_an_email_link_download_and_withdraw(page: Page, site, tmp_path):
    petition = factories.petition(title="Free the Lima 5")
    sign_and_confirm(petition)
    factories.signature(petition=petition, email="other@example.org")
    apply_count_deltas()
    assert Petition.objects.get(pk=petition.pk).signature_count == 2

    page.goto(site + my_data_path(Message.objects.get(to_digest=email_digest(EMAIL))))
    expect(page.get_by_role("heading", name="Your data", level=1)).to_be_visible()
    expect(page.get_by_text("Ana María Quispe").first).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download it all (JSON)").click()
    path = tmp_path / "my-data.json"
    download.value.save_as(path)
    data = json.loads(path.read_text())
    assert [s["petition"] for s in data["signatures"]] == ["Free the Lima 5"]

    page.get_by_role("button", name="Withdraw my signature on “Free the Lima 5”").click()
    expect(page.get_by_role("status")).to_contain_text("is withdrawn")
    expect(
        page.get_by_role("button", name="Withdraw my signature on “Free the Lima 5”")
    ).to_have_count(0)
    assert_accessible(page)
    assert not Signature.objects.filter(email_digest=email_digest(EMAIL)).exists()
    apply_count_deltas()
    assert Petition.objects.get(pk=petition.pk).signature_count == 1

    page.goto(f"{site}/en/petitions/{petition.slug}/signatures/")
    expect(page.get_by_text("Ana María Quispe")).to_have_count(0)
