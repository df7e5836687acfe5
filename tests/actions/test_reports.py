import pytest
from django.utils import timezone

from outcry.actions import services
from outcry.actions.models import ActionReport, UrgentAction
from outcry.outbox.models import Message
from outcry.outbox.services import deliver_due
from tests import factories

pytestmark = pytest.mark.django_db

NOTHING = {
    "letters": 0,
    "emails": 0,
    "faxes": 0,
    "calls": 0,
    "social_posts": 0,
    "contact_forms": 0,
    "other": 0,
}


def report(action, language="en", **counts):
    data = {**NOTHING, "country": counts.pop("country", "PE"), **counts}
    return services.save_report(
        action=action, data=data, targets=action.ordered_targets(), language=language
    )


def channel(totals, field):
    return next(n for f, _label, n in totals.channels if f == field)


def test_reports_add_up_per_channel_and_country():
    action = factories.urgent_action()
    report(action, letters=2, calls=1)
    report(action, letters=1, country="ES")
    totals = services.totals(action)
    assert (channel(totals, "letters"), channel(totals, "calls")) == (3, 1)
    assert totals.people == 2 and totals.actions == 4
    assert totals.by_country == [("PE", 1, 3), ("ES", 1, 1)]


def test_implausible_report_is_held_not_counted():
    action = factories.urgent_action()
    held = report(action, letters=25)
    assert held.status == ActionReport.Status.HELD
    assert services.totals(action).people == 0


def test_amending_replaces_the_report_instead_of_counting_twice():
    action = factories.urgent_action()
    first = report(action, letters=1)
    services.save_report(
        action=action,
        data={**NOTHING, "letters": 2, "calls": 1, "country": "PE"},
        targets=[],
        language="en",
        report=first,
    )
    totals = services.totals(action)
    assert ActionReport.objects.count() == 1
    assert (totals.people, channel(totals, "letters"), channel(totals, "calls")) == (1, 2, 1)


def test_report_after_close_is_taken_and_marked_late():
    action = factories.urgent_action(status=UrgentAction.Status.CLOSED)
    assert report(action, letters=1).late is True
    assert services.totals(action).people == 1


def test_amend_link_in_the_email_finds_the_report():
    action = factories.urgent_action()
    saved = services.save_report(
        action=action,
        data={**NOTHING, "letters": 1, "country": "PE", "email": "ana@example.org"},
        targets=[],
        language="en",
    )
    message = Message.objects.get(template="actions/email/report_received")
    token = message.context["amend_url"].rstrip("/").rsplit("/", 1)[-1]
    assert services.report_for_token(token) == saved
    assert services.report_for_token(token + "x") is None


def test_letters_through_outcry_count_as_emails_once_delivered():
    action = factories.urgent_action()
    target = action.ordered_targets()[0]
    services.request_letters(
        action=action,
        name="Rosa",
        email="rosa@example.org",
        country="PE",
        language="es",
        drafts=[services.Draft(target=target, subject="s", body="b")],
    )
    confirm = Message.objects.get()
    services.confirm_letters(raw_token=confirm.context["confirm_url"].rstrip("/").split("/")[-1])
    assert channel(services.totals(action), "emails") == 0  # queued is not yet sent
    deliver_due(now=timezone.now())
    totals = services.totals(action)
    assert channel(totals, "emails") == 1
    assert totals.people == 1 and totals.by_country == [("PE", 1, 1)]
    # Reporting other actions under the same address does not make them two people.
    report(action, calls=1, email="rosa@example.org")
    totals = services.totals(action)
    assert totals.people == 1 and channel(totals, "calls") == 1


def test_a_follow_up_is_announced_once_to_those_who_asked(client):
    first = factories.urgent_action(serial=154)
    for email, wants in (
        ("ana@example.org", True),
        ("ANA@example.org", True),
        ("quiet@example.org", False),
    ):
        services.save_report(
            action=first,
            data={**NOTHING, "letters": 1, "country": "PE", "email": email, "wants_updates": wants},
            targets=[],
            language="es",
        )
    Message.objects.all().delete()  # the report receipts
    follow_up = factories.urgent_action(serial=105, follows=first)
    assert services.tell_followers() == 1  # one e-mail per address, however often reported
    assert services.tell_followers() == 0
    message = Message.objects.get()
    assert message.to.lower() == "ana@example.org" and message.language == "es"
    assert message.context["number"] == follow_up.number
    assert "List-Unsubscribe" in message.headers
    stop = message.context["stop_url"].split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + stop).status_code == 200  # a page with a button, nothing else
    assert ActionReport.objects.filter(wants_updates=True).count() == 2
    assert client.post("/" + stop).status_code == 200  # one-click, no CSRF token
    assert not ActionReport.objects.filter(wants_updates=True).exists()
