import re
from datetime import date
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from outcry.actions import services as actions
from outcry.campaigns.models import Petition, Role
from outcry.organiser import packet
from outcry.organiser.models import AuditEntry, Delivery
from outcry.outbox.models import Message
from outcry.outbox.services import render
from outcry.privacy.digest import email_digest
from outcry.signing.models import CountDelta, NameDisplay, Signature
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return factories.organisation()


@pytest.fixture
def editor(client, org):
    user = factories.user(org=org, role=Role.EDITOR, email="campaigns@org.example")
    client.force_login(user)
    return user


@pytest.fixture
def petition(org):
    target = factories.target(
        org=org, emails=["despacho@presidencia.example", "mesa@presidencia.example"]
    )
    return factories.petition(
        org=org, target=target, letter="Dear President,\n\nPlease **act** now.\n\nSincerely,"
    )


def url(name, org, obj, **kwargs):
    return reverse(name, kwargs={"org": org.slug, "pk": obj.pk, **kwargs})


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


def test_page_packet_and_log_carry_the_same_verified_count(client, org, editor, petition):
    for _ in range(3):
        factories.signature(petition=petition)
    factories.signature(petition=petition, confirmed=False)
    assert petition.signature_count == 0  # the deltas still wait for the worker

    page = client.get(url("delivery_petition", org, petition))
    assert page.status_code == 200
    assert re.search(r"<strong>3</strong>\s+verified signatures", page.content.decode())
    petition.refresh_from_db()
    assert petition.signature_count == 3 and not CountDelta.objects.exists()

    response = client.post(
        url("delivery_petition_send", org, petition), {"to": f"{petition.target.pk}|"}
    )
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.count == 3 and delivery.by_country == {"PE": 3}
    text = pdf_text(streamed(client.get(url("delivery_petition_packet", org, petition))))
    assert "3\nverified signatures" in text


def test_packet_holds_the_letter_count_and_public_names_but_no_email(client, org, editor, petition):
    signers = [
        ("Ana María Quispe", NameDisplay.FULL, "PE"),
        ("José Núñez", NameDisplay.SHORT, "CL"),
        ("Мария Иванова", NameDisplay.FULL, "RU"),
        ("Ελένη Παπαδοπούλου", NameDisplay.FULL, "GR"),
        ("Hidden Person", NameDisplay.ANONYMOUS, "PE"),
    ]
    for name, display, country in signers:
        factories.signature(petition=petition, name=name, name_display=display, country=country)
    response = client.get(url("delivery_petition_packet", org, petition))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(streamed(response))
    assert petition.title in text and "President of Peru" in text and "Please act now." in text
    assert "5\nverified signatures" in text
    assert "Ana María Quispe" in text and "José N." in text and "José Núñez" not in text
    assert "Мария Иванова" in text and "Ελένη Παπαδοπούλου" in text
    assert "Hidden Person" not in text
    assert "and 1 signer who chose not to be named" in " ".join(text.split())
    assert "Peru" in text and "Chile" in text  # the count by country
    assert "@" not in text and "example" not in text
    entry = AuditEntry.objects.get(verb="downloaded delivery packet")
    assert entry.detail["count"] == 5


def test_a_large_packet_lists_names_under_each_country_in_columns(client, org, editor, petition):
    now = timezone.now()
    per_country = {"PE": 700, "CL": 400}
    Signature.objects.bulk_create(
        Signature(
            petition=petition,
            name=f"{country} Signer{i}",
            email=f"{country}{i}@example.org",
            email_digest=email_digest(f"{country}{i}@example.org"),
            country=country,
            name_display=NameDisplay.FULL,
            language="en",
            state=Signature.State.CONFIRMED,
            confirmed_at=now,
        )
        for country, n in per_country.items()
        for i in range(n)
    )
    Petition.objects.filter(pk=petition.pk).update(signature_count=1100)
    data = streamed(client.get(url("delivery_petition_packet", org, petition)))
    reader = PdfReader(BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "1,100\nverified signatures" in text
    assert all(f"PE Signer{i}" in text for i in range(700))
    assert all(f"CL Signer{i}" in text for i in range(400))
    # Peru, the larger, comes first; each country's heading starts its names.
    assert text.index("Peru\nPE Signer0") < text.index("Chile\nCL Signer0")
    assert "Peru (continued)" in text
    assert len(reader.pages) < 12  # three columns of names a page, not one
    assert "@" not in text


def test_count_drift_is_reconciled_before_anything_is_delivered(client, org, editor, petition):
    factories.signature(petition=petition)
    factories.signature(petition=petition)
    CountDelta.objects.all().delete()
    Petition.objects.filter(pk=petition.pk).update(signature_count=7)
    client.post(url("delivery_petition_send", org, petition), {"to": f"{petition.target.pk}|"})
    petition.refresh_from_db()
    assert petition.signature_count == 2 and Delivery.objects.get().count == 2


def test_emailing_the_packet_logs_it_and_attaches_the_pdf_at_send_time(
    client, org, editor, petition
):
    factories.signature(petition=petition, name="Ana Quispe")
    factories.signature(petition=petition, name="Luis Rojas")
    response = client.post(
        url("delivery_petition_send", org, petition),
        {"to": f"{petition.target.pk}|mesa@presidencia.example"},
    )
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.sent_to == "mesa@presidencia.example" and delivery.created_by == editor
    message = Message.objects.get(template="organiser/email/delivery")
    assert delivery.message == message and message.to == "mesa@presidencia.example"
    assert message.reply_to == "campaigns@org.example"
    assert message.context["attachments"] == [{"kind": "delivery_packet", "delivery": delivery.pk}]
    assert len(str(message.context)) < 1000  # the row holds a spec, never the PDF

    # Someone signs after the delivery: the e-mailed packet still says what was logged.
    factories.signature(petition=petition, name="Late Signer")
    email = render(message)
    assert "2 verified signatures" in email.subject
    assert "2 people signed it" in email.body
    email.message()  # serialising it for sending builds the attachment
    ((filename, content, mimetype),) = email.attachments
    assert mimetype == "application/pdf" and filename.endswith(".pdf")
    text = pdf_text(content)
    assert "2\nverified signatures" in text and "Ana Quispe" in text
    assert "Late Signer" not in text and "@" not in text

    entry = AuditEntry.objects.get(verb="e-mailed delivery")
    assert entry.detail == {"delivery": delivery.pk, "count": 2, "to": "mesa@presidencia.example"}
    page = client.get(url("delivery_petition", org, petition)).content.decode()
    assert "mesa@presidencia.example" in page and editor.username in page


def test_packet_goes_only_to_the_targets_own_addresses(client, org, editor, petition):
    response = client.post(
        url("delivery_petition_send", org, petition),
        {"to": f"{petition.target.pk}|someone@elsewhere.example"},
    )
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not Delivery.objects.exists() and not Message.objects.exists()


def test_a_logged_delivery_can_be_printed_again_as_it_was(client, org, editor, petition):
    factories.signature(petition=petition)
    client.post(url("delivery_petition_send", org, petition), {"to": f"{petition.target.pk}|"})
    delivery = Delivery.objects.get()
    assert delivery.message is None and delivery.sent_to == ""
    factories.signature(petition=petition)
    data = streamed(
        client.get(url("delivery_petition_logged", org, petition, delivery=delivery.pk))
    )
    assert "1\nverified signature" in pdf_text(data)
    assert AuditEntry.objects.filter(verb="recorded delivery").exists()


def test_response_and_win_are_recorded_audited_and_shown_on_the_petition(
    client, org, editor, petition
):
    response = client.post(
        url("delivery_petition_response", org, petition),
        {"text": "We will review the use of force.", "received_on": "2026-11-20"},
    )
    assert response.status_code == 302
    client.post(
        url("delivery_petition_won", org, petition), {"won": "1", "note": "An inquiry opened."}
    )
    petition.refresh_from_db()
    assert timezone.localdate(petition.target_response_at) == date(2026, 11, 20)
    assert petition.won_at is not None and petition.won_note == "An inquiry opened."
    page = client.get(petition.get_absolute_url()).content.decode()
    assert "Won" in page and "An inquiry opened." in page
    assert "We will review the use of force." in page and 'datetime="2026-11-20"' in page
    verbs = set(AuditEntry.objects.values_list("verb", flat=True))
    assert {"recorded target response", "marked won"} <= verbs

    client.post(url("delivery_petition_won", org, petition), {"won": "0"})
    petition.refresh_from_db()
    assert petition.won_at is None and petition.won_note == ""


def test_won_needs_a_note_and_a_response_needs_its_date(client, org, editor, petition):
    won = client.post(url("delivery_petition_won", org, petition), {"won": "1", "note": " "})
    assert won.status_code == 400 and "say in a sentence what was won" in won.content.decode()
    response = client.post(url("delivery_petition_response", org, petition), {"text": "Yes."})
    assert response.status_code == 400
    assert "Please enter the date the response came." in response.content.decode()
    petition.refresh_from_db()
    assert petition.won_at is None and petition.target_response == ""


def test_urgent_action_delivery_logs_the_total_actions(client, org, editor):
    action = factories.urgent_action(org=org)
    nothing = {field: 0 for field, _label in packet.CHANNELS}
    for country, letters in (("PE", 2), ("CL", 3)):
        actions.save_report(
            action=action,
            data={**nothing, "letters": letters, "calls": 1, "country": country},
            targets=action.ordered_targets(),
            language="en",
        )
    target = action.targets.get()
    page = client.get(url("delivery_action", org, action))
    assert page.status_code == 200 and "despacho@presidencia.example" in page.content.decode()
    client.post(
        url("delivery_action_send", org, action),
        {"to": f"{target.pk}|despacho@presidencia.example"},
    )
    delivery = Delivery.objects.get()
    assert delivery.action == action and delivery.count == 7 and delivery.target == target
    message = Message.objects.get(template="organiser/email/delivery")
    assert message.language == "es"  # the target's language
    email = render(message)
    email.message()
    ((_name, content, _type),) = email.attachments
    text = pdf_text(content)
    assert action.number in text and "Dina Boluarte" in text and "7" in text
    assert "Perú" in text and "Chile" in text  # country names in Spanish
    assert "@" not in text


def test_urgent_action_packet_download_has_the_totals(client, org, editor):
    action = factories.urgent_action(org=org)
    nothing = {field: 0 for field, _label in packet.CHANNELS}
    actions.save_report(
        action=action,
        data={**nothing, "faxes": 4, "country": "PE", "email": "secret@example.org"},
        targets=action.ordered_targets(),
        language="en",
    )
    text = pdf_text(streamed(client.get(url("delivery_action_packet", org, action))))
    assert action.number in text and "4" in text and "secret@example.org" not in text


def test_moderators_reach_no_delivery_page(client, org, petition):
    client.force_login(factories.user(org=org, role=Role.MODERATOR))
    assert client.get(url("delivery_petition", org, petition)).status_code == 404
    response = client.post(
        url("delivery_petition_won", org, petition), {"won": "1", "note": "Sneaky."}
    )
    assert response.status_code == 404
    petition.refresh_from_db()
    assert petition.won_at is None
