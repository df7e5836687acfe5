"""Moderation: comments waiting, comments the public reported, action reports held."""

import pytest

from outcry.actions.models import ActionReport
from outcry.actions.services import totals
from outcry.campaigns.models import Comment, CommentFlag, Role
from outcry.organiser.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def mod(client):
    """A moderator's client, with their organisation and a petition of it."""
    org = factories.organisation()
    client.force_login(factories.user(org=org, role=Role.MODERATOR, username="mara"))
    client.org, client.petition = org, factories.petition(org=org)
    client.base = f"/en/organiser/{org.slug}/moderation/"
    return client


def comment(petition, text="Free them now.", status=Comment.Status.PENDING, **kwargs):
    return Comment.objects.create(
        petition=petition, name="Rosa", email="rosa@example.org", text=text, status=status, **kwargs
    )


def report(action, status=ActionReport.Status.HELD, **numbers):
    return ActionReport.objects.create(
        action=action, country="PE", language="es", status=status, **numbers
    )


def decide(client, ids, decision, **extra):
    data = {"ids": [o.pk for o in ids], "decision": decision, **extra}
    return client.post(client.base + "decide/", data)


def status_of(obj):
    obj.refresh_from_db()
    return obj.status


def test_pending_queue_lists_this_organisations_waiting_comments_newest_first(mod):
    older = comment(mod.petition, text="Older words")
    newer = comment(mod.petition, text="Newer words")
    comment(mod.petition, text="Already shown", status=Comment.Status.APPROVED)
    comment(factories.petition(), text="Someone else's")
    page = mod.get(mod.base).content.decode()
    assert page.index("Newer words") < page.index("Older words")
    assert "Already shown" not in page and "Someone else" not in page
    assert f'value="{older.pk}"' in page and f'value="{newer.pk}"' in page


def test_pending_queue_filters_by_petition(mod):
    other = factories.petition(org=mod.org)
    comment(mod.petition, text="On the first")
    comment(other, text="On the second")
    page = mod.get(mod.base, {"petition": other.pk}).content.decode()
    assert "On the second" in page and "On the first" not in page
    assert mod.get(mod.base, {"petition": "nonsense"}).status_code == 200


def test_pending_queue_is_paginated(mod):
    for n in range(51):
        comment(mod.petition, text=f"Comment number {n}.")
    first = mod.get(mod.base).content.decode()
    assert "Comment number 50." in first and "Comment number 0." not in first
    assert "Page 1 of 2" in first
    assert "Comment number 0." in mod.get(mod.base, {"page": 2}).content.decode()


def test_bulk_approve_shows_comments_on_the_petition(client, mod):
    waiting = [comment(mod.petition, text=f"Solidarity {n}") for n in range(3)]
    public = f"/en/petitions/{mod.petition.slug}/"
    assert "Solidarity" not in client.get(public).content.decode()
    response = decide(mod, waiting[:2], "approve")
    assert response.status_code == 302 and response["Location"] == mod.base
    assert "2 comments approved" in mod.get(mod.base).content.decode()
    page = mod.get(public).content.decode()
    assert "Solidarity 0" in page and "Solidarity 1" in page and "Solidarity 2" not in page
    entry = AuditEntry.objects.get(organisation=mod.org, verb="approved comments")
    assert entry.user.username == "mara"
    assert sorted(entry.detail["ids"]) == sorted(c.pk for c in waiting[:2])


@pytest.mark.parametrize(
    "decision, status, verb",
    [
        ("reject", Comment.Status.REJECTED, "rejected comments"),
        ("spam", Comment.Status.SPAM, "marked comments as spam"),
    ],
)
def test_reject_and_spam_hide_comments(mod, decision, status, verb):
    shown = comment(mod.petition, text="Visible for now", status=Comment.Status.APPROVED)
    waiting = comment(mod.petition, text="Never to be shown")
    decide(mod, [shown, waiting], decision)
    assert status_of(shown) == status_of(waiting) == status
    page = mod.get(f"/en/petitions/{mod.petition.slug}/").content.decode()
    assert "Visible for now" not in page and "Never to be shown" not in page
    entry = AuditEntry.objects.get(organisation=mod.org)
    assert entry.verb == verb
    assert sorted(entry.detail["ids"]) == sorted([shown.pk, waiting.pk])


def test_ids_of_another_organisations_comments_are_ignored(mod):
    ours = comment(mod.petition)
    theirs = comment(factories.petition())
    decide(mod, [ours, theirs], "spam")
    assert status_of(ours) == Comment.Status.SPAM
    assert status_of(theirs) == Comment.Status.PENDING
    assert AuditEntry.objects.get(organisation=mod.org).detail["ids"] == [ours.pk]
    assert not AuditEntry.objects.exclude(organisation=mod.org).exists()


def test_only_foreign_ids_change_nothing_and_say_so(mod):
    theirs = comment(factories.petition())
    response = decide(mod, [theirs], "approve")
    assert status_of(theirs) == Comment.Status.PENDING
    assert "Nothing changed" in mod.get(response["Location"]).content.decode()
    assert not AuditEntry.objects.exists()


def test_unknown_decision_or_no_selection_changes_nothing_and_says_so(mod):
    waiting = comment(mod.petition)
    decide(mod, [waiting], "delete")
    page = mod.get(mod.base).content.decode()
    assert "Choose whether to approve, reject or mark as spam." in page
    decide(mod, [], "approve")
    assert "Select at least one comment first." in mod.get(mod.base).content.decode()
    assert status_of(waiting) == Comment.Status.PENDING and not AuditEntry.objects.exists()


def test_an_editor_cannot_moderate(client, mod):
    waiting = comment(mod.petition)
    client.force_login(factories.user(org=mod.org, role=Role.EDITOR))
    assert decide(client, [waiting], "approve").status_code == 404
    assert status_of(waiting) == Comment.Status.PENDING


def test_decision_returns_to_the_same_filter_and_page(mod):
    waiting = comment(mod.petition)
    response = decide(mod, [waiting], "reject", petition=mod.petition.pk, page=2)
    assert response["Location"] == f"{mod.base}?petition={mod.petition.pk}&page=2"


def flagged(petition, *reasons, handled=()):
    c = comment(petition, text="Contested words", status=Comment.Status.APPROVED)
    for reason in reasons:
        CommentFlag.objects.create(comment=c, reason=reason)
    for reason in handled:
        CommentFlag.objects.create(comment=c, reason=reason, handled_at=c.created_at)
    return c


def test_reported_queue_shows_open_reports_with_count_and_reasons(mod):
    flagged(mod.petition, "It insults a survivor", "", handled=["Old complaint"])
    flagged(factories.petition(), "Not ours")
    comment(mod.petition, text="Nobody minds", status=Comment.Status.APPROVED)
    page = mod.get(mod.base + "reported/").content.decode()
    assert "Contested words" in page and "It insults a survivor" in page
    assert '<td class="num">2</td>' in page
    assert "(no reason given)" in page
    assert "Old complaint" not in page and "Not ours" not in page and "Nobody minds" not in page


def test_keeping_a_reported_comment_handles_its_reports_and_keeps_it_visible(mod):
    kept = flagged(mod.petition, "Rude", "Off topic")
    response = decide(mod, [kept], "approve", queue="reported")
    assert response["Location"] == mod.base + "reported/"
    assert status_of(kept) == Comment.Status.APPROVED
    assert not kept.flags.filter(handled_at__isnull=True).exists()
    assert "Contested words" not in mod.get(mod.base + "reported/").content.decode()
    assert "Contested words" in mod.get(f"/en/petitions/{mod.petition.slug}/").content.decode()
    assert AuditEntry.objects.get().detail["reports_handled"] == 2


@pytest.mark.parametrize("decision", ["reject", "spam"])
def test_removing_a_reported_comment_handles_its_reports_and_hides_it(mod, decision):
    removed = flagged(mod.petition, "Hate speech")
    decide(mod, [removed], decision, queue="reported")
    assert status_of(removed) != Comment.Status.APPROVED
    assert not removed.flags.filter(handled_at__isnull=True).exists()
    assert "Contested words" not in mod.get(f"/en/petitions/{mod.petition.slug}/").content.decode()
    assert "Contested words" not in mod.get(mod.base + "reported/").content.decode()


def test_queue_counts_show_what_is_waiting(mod):
    comment(mod.petition)
    flagged(mod.petition, "a", "b")
    report(factories.urgent_action(org=mod.org), letters=50)
    page = mod.get(mod.base).content.decode()
    assert page.count('<span class="badge">1</span>') == 3


def test_counting_a_held_report_moves_the_public_totals(client, mod):
    action = factories.urgent_action(org=mod.org)
    report(action, status=ActionReport.Status.COUNTED, letters=1)
    held = report(action, letters=40, emails=2)
    assert totals(action).actions == 1
    page = mod.get(mod.base + "reports/").content.decode()
    assert action.number in page and "<dd>40</dd>" in page and "<dd>2</dd>" in page
    response = mod.post(mod.base + "reports/decide/", {"ids": [held.pk], "decision": "count"})
    assert response["Location"] == mod.base + "reports/"
    assert status_of(held) == ActionReport.Status.COUNTED
    assert (totals(action).actions, totals(action).people) == (43, 2)
    assert "1 report counted" in mod.get(mod.base + "reports/").content.decode()
    entry = AuditEntry.objects.get(verb="counted held reports")
    assert entry.detail["ids"] == [held.pk] and entry.organisation == mod.org


def test_rejecting_held_reports_keeps_them_out_and_ignores_other_organisations(mod):
    action = factories.urgent_action(org=mod.org)
    held = report(action, letters=500)
    theirs = report(factories.urgent_action(), letters=60)
    mod.post(mod.base + "reports/decide/", {"ids": [held.pk, theirs.pk], "decision": "reject"})
    assert status_of(held) == ActionReport.Status.REJECTED
    assert status_of(theirs) == ActionReport.Status.HELD
    assert totals(action).actions == 0
    assert AuditEntry.objects.get(verb="rejected held reports").detail["ids"] == [held.pk]


def test_only_held_reports_are_decided(mod):
    """A stale page cannot count a report another moderator rejected meanwhile."""
    action = factories.urgent_action(org=mod.org)
    rejected = report(action, status=ActionReport.Status.REJECTED, letters=30)
    response = mod.post(mod.base + "reports/decide/", {"ids": [rejected.pk], "decision": "count"})
    assert status_of(rejected) == ActionReport.Status.REJECTED
    assert "Nothing changed" in mod.get(response["Location"]).content.decode()


def test_held_reports_filter_by_action(mod):
    first, second = (factories.urgent_action(org=mod.org) for _ in range(2))
    on_first, on_second = report(first, calls=21), report(second, faxes=22)
    page = mod.get(mod.base + "reports/", {"action": second.pk}).content.decode()
    assert f'id="report-{on_second.pk}"' in page and f'id="report-{on_first.pk}"' not in page


def test_malformed_ids_are_skipped(mod):
    waiting = comment(mod.petition)
    ids = ["abc", "", str(10**30), str(waiting.pk)]
    mod.post(mod.base + "decide/", {"ids": ids, "decision": "approve"})
    mod.post(mod.base + "reports/decide/", {"ids": ids, "decision": "count"})
    assert status_of(waiting) == Comment.Status.APPROVED
