from datetime import timedelta
from io import BytesIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from pypdf import PdfReader

from outcry.actions import services
from outcry.actions.models import ActionReport, LetterBatch, UrgentAction
from outcry.campaigns.models import Role
from tests import factories
from tests.guard.helpers import human

pytestmark = pytest.mark.django_db


def base(action, lang="en"):
    return f"/{lang}/actions/ua-{action.serial}-{action.year}/"


def letter_form(action, **extra):
    return human(
        {
            "targets": [t.pk for t in action.ordered_targets()],
            "language": "es",
            "subject": "Alto a la fuerza",
            "body": "Le pido que actúe.",
            "name": "Rosa Quispe",
            **extra,
        },
        campaign=action,
    )


def test_case_page_shows_number_targets_letter_and_chain(client):
    first = factories.urgent_action(serial=154)
    embassy = factories.target(
        name="Oswaldo de Rivero",
        phones=["+1 202 833 9860"],
        fax="+1 202 659 8124",
        social=[{"network": "twitter", "handle": "@PeruInTheUSA", "url": "https://x.example/p"}],
    )
    action = factories.urgent_action(serial=105, follows=first, copies=[embassy])
    page = client.get(base(action)).content.decode()
    assert "UA 105.22" in page and "18 killed during protests" in page
    assert 'href="tel:+12028339860"' in page and "+1 202 659 8124" in page
    assert "Send a copy to" in page and "@PeruInTheUSA" in page
    assert "Le pido que actúe." in page and "Read it in English" in page
    assert base(first) in page  # the chain links back ...
    assert base(action) in client.get(base(first)).content.decode()  # ... and forward
    english = client.get(base(action) + "?letter=en").content.decode()
    assert "I ask you to act." in english


def test_past_deadline_page_says_to_check_with_the_national_office(client):
    action = factories.urgent_action(deadline=timezone.localdate() - timedelta(days=1))
    page = client.get(base(action)).content.decode()
    assert "check with your national office" in page
    assert "Write your letter" in page  # the actions stay visible


def test_write_shows_every_way_to_send_without_storing_anything(client):
    action = factories.urgent_action()
    page = client.post(base(action) + "write/", letter_form(action)).content.decode()
    assert "Señora Presidenta:\n\nLe pido que actúe.\n\nRosa Quispe" in page
    mailto = page.split('href="mailto:despacho@presidencia.example?', 1)[1].split('"', 1)[0]
    query = parse_qs(mailto.replace("&amp;", "&"))
    assert query["subject"] == ["Alto a la fuerza"]
    # RFC 6068: line breaks in a mailto: body are CRLF.
    assert query["body"] == ["Señora Presidenta:\r\n\r\nLe pido que actúe.\r\n\r\nRosa Quispe\r\n"]
    assert "mail.google.com" in page and "outlook.office.com" in page
    assert not LetterBatch.objects.exists()


def test_write_errors_say_what_to_fix(client):
    action = factories.urgent_action()
    response = client.post(base(action) + "write/", letter_form(action, targets=[], name=""))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Please choose at least one person to write to." in page
    assert "Please enter your name: the letter is signed with it." in page


def test_print_view_is_a_dated_letter_with_the_address_block(client):
    action = factories.urgent_action()
    page = client.post(base(action) + "print/", letter_form(action)).content.decode()
    assert timezone.localdate().strftime("%Y-%m-%d") in page
    assert "Jr. De la Unión S/N<br>Lima 15001" in page
    assert "Le pido que actúe." in page and "Rosa Quispe" in page


def test_sending_through_outcry_asks_the_activist_to_confirm(client):
    action = factories.urgent_action()
    response = client.post(
        base(action) + "send/", letter_form(action, email="rosa@example.org", country="PE")
    )
    assert response["Location"] == base(action) + "sent/"
    assert LetterBatch.objects.get().email == "rosa@example.org"


def test_closed_case_refuses_email_through_outcry_with_a_clear_message(client):
    action = factories.urgent_action(status=UrgentAction.Status.CLOSED, outcome="Released")
    response = client.post(
        base(action) + "send/", letter_form(action, email="rosa@example.org", country="PE")
    )
    assert response.status_code == 403
    assert "Outcry no longer sends letters" in response.content.decode()
    assert not LetterBatch.objects.exists()


def test_confirm_link_get_shows_a_button_and_post_sends(client):
    action = factories.urgent_action()
    client.post(base(action) + "send/", letter_form(action, email="r@example.org", country="PE"))
    from outcry.outbox.models import Message

    url = urlsplit(Message.objects.get().context["confirm_url"]).path
    assert "Send my letters" in client.get(url).content.decode()
    assert not Message.objects.filter(template="actions/email/letter").exists()
    response = client.post(url)
    assert response.status_code == 302
    status = client.get(response["Location"]).content.decode()
    assert "Dina Boluarte" in status and "Waiting to be sent" in status


def test_report_needs_at_least_one_action(client):
    action = factories.urgent_action()
    response = client.post(base(action) + "report/", human(country="PE", campaign=action))
    assert response.status_code == 400
    assert "Please tell us at least one thing you did." in response.content.decode()
    assert not ActionReport.objects.exists()


def test_report_in_the_same_browser_amends_instead_of_adding(client):
    action = factories.urgent_action()
    client.post(
        base(action) + "report/", human(country="PE", letters="2", calls="1", campaign=action)
    )
    form = client.get(base(action) + "report/").content.decode()
    assert 'value="2"' in form and "change the numbers" in form
    client.post(base(action) + "report/", human(country="PE", letters="3", campaign=action))
    assert ActionReport.objects.count() == 1 and ActionReport.objects.get().letters == 3
    thanks = client.get(base(action) + "report/thanks/").content.decode()
    assert "is counted" in thanks


def test_totals_report_is_for_the_organisation_only(client):
    action = factories.urgent_action()
    services.save_report(
        action=action,
        data={
            "country": "PE",
            "letters": 2,
            "emails": 0,
            "faxes": 0,
            "calls": 1,
            "social_posts": 0,
            "contact_forms": 0,
            "other": 0,
            "email": "secret@example.org",
        },
        targets=[],
        language="en",
    )
    url = f"/en/organiser/{action.organisation.slug}/actions/{action.pk}/totals/"
    assert "/en/organiser/login/" in client.get(url)["Location"]
    client.force_login(factories.user(org=factories.organisation(), role=Role.OWNER))
    assert client.get(url).status_code == 404
    client.force_login(factories.user(org=action.organisation, role=Role.EDITOR))
    page = client.get(url).content.decode()
    assert "secret@example.org" not in page and "UA " in page
    pdf = client.get(url.replace("totals/", "totals.pdf"))
    assert pdf["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    assert action.number in text and "1 person took action, 3 actions in all." in text
    assert "Peru" in text and "secret@example.org" not in text
