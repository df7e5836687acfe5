"""The public "Report" link on a comment: once per browser session, nothing hidden."""

import pytest

from outcry.campaigns.models import Comment, CommentFlag, Role
from outcry.organiser.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def shown():
    petition = factories.petition()
    return Comment.objects.create(
        petition=petition,
        name="Rosa",
        email="rosa@example.org",
        text="Contested words",
        status=Comment.Status.APPROVED,
    )


def report_url(c):
    return f"/en/petitions/{c.petition.slug}/comments/{c.pk}/report/"


def test_each_shown_comment_has_a_report_link(client, shown):
    page = client.get(f"/en/petitions/{shown.petition.slug}/").content.decode()
    assert f'href="{report_url(shown)}"' in page


def test_report_link_opens_a_form_that_asks_only_an_optional_reason(client, shown):
    page = client.get(report_url(shown)).content.decode()
    assert "Contested words" in page and 'name="reason"' in page
    assert 'name="email"' not in page and 'name="name"' not in page


def test_report_flags_the_comment_once_per_session_and_thanks(client, shown):
    response = client.post(report_url(shown), {"reason": "  Insults a survivor  "})
    assert response.status_code == 302 and response["Location"] == report_url(shown)
    thanks = client.get(report_url(shown)).content.decode()
    assert "Thank you for your report" in thanks and 'name="reason"' not in thanks
    client.post(report_url(shown), {"reason": "again"})
    assert list(CommentFlag.objects.values_list("reason", flat=True)) == ["Insults a survivor"]
    assert not AuditEntry.objects.exists()  # a visitor's report is no organiser action


def test_another_browser_may_report_the_same_comment(client, shown):
    client.post(report_url(shown), {})
    client.cookies.clear()
    client.post(report_url(shown), {})
    assert CommentFlag.objects.filter(comment=shown, reason="").count() == 2


def test_reported_comment_stays_visible_and_reaches_the_moderators_queue(client, shown):
    client.post(report_url(shown), {"reason": "Spreads a rumour"})
    assert "Contested words" in client.get(shown.petition.get_absolute_url()).content.decode()
    client.force_login(factories.user(org=shown.petition.organisation, role=Role.MODERATOR))
    org = shown.petition.organisation.slug
    queue = client.get(f"/en/organiser/{org}/moderation/reported/").content.decode()
    assert "Contested words" in queue and "Spreads a rumour" in queue


def test_too_long_a_reason_is_refused_with_a_clear_message(client, shown):
    response = client.post(report_url(shown), {"reason": "x" * 301})
    assert response.status_code == 400
    assert "Please keep the reason to 300 characters at most." in response.content.decode()
    assert not CommentFlag.objects.exists()


@pytest.mark.parametrize("status", ["pending", "rejected", "spam"])
def test_only_a_shown_comment_can_be_reported(client, shown, status):
    Comment.objects.filter(pk=shown.pk).update(status=status)
    assert client.get(report_url(shown)).status_code == 404
    assert client.post(report_url(shown), {}).status_code == 404
    assert not CommentFlag.objects.exists()


def test_comment_of_an_unpublished_petition_or_wrong_slug_cannot_be_reported(client, shown):
    other = factories.petition()
    elsewhere = report_url(shown).replace(shown.petition.slug, other.slug)
    assert client.post(elsewhere).status_code == 404
    shown.petition.published_at = None
    shown.petition.save()
    assert client.post(report_url(shown)).status_code == 404
    assert not CommentFlag.objects.exists()


def test_an_impossible_comment_number_is_not_found(client, shown):
    url = f"/en/petitions/{shown.petition.slug}/comments/{10**30}/report/"
    assert client.get(url).status_code == 404
