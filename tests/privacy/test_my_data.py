import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from outcry.campaigns.models import Comment, Petition, PetitionUpdate
from outcry.organiser import exports
from outcry.organiser.models import AuditEntry
from outcry.outbox.models import Message
from outcry.outbox.services import enqueue, render
from outcry.privacy import links
from outcry.privacy.digest import email_digest
from outcry.privacy.models import ConsentLog, DoNotContact
from outcry.signing import services as signing
from outcry.signing.models import CountDelta, Signature
from tests import factories
from tests.privacy.helpers import my_data_path, page_path, sign, sign_and_confirm, token_of

pytestmark = pytest.mark.django_db

EMAIL = "ana@example.org"


def count_of(petition) -> int:
    signing.apply_count_deltas()
    return Petition.objects.get(pk=petition.pk).signature_count


def public_list(client, petition) -> str:
    return client.get(reverse("signatures", args=[petition.slug])).content.decode()


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_email_ends_with_a_link_to_the_recipients_data(client, language):
    petition = factories.petition()
    sign(petition, language=language)
    message = Message.objects.get()
    path = my_data_path(message)
    assert path.startswith(f"/{language}/my-data/")
    assert links.holder(token_of(path)).email == EMAIL
    # Every template, including ones with no footer of their own...
    for template in ("signing/email/update", "actions/email/follow_up", "privacy/email/link"):
        other = enqueue(to=EMAIL, template=template, context={}, language=language)
        assert path.rsplit("/", 2)[0] in render(other).body
    # ...but an activist's letter to an official, which goes exactly as written.
    letter = enqueue(
        to="official@example.gob",
        template="actions/email/letter",
        context={"subject": "Free them", "body": "Dear Minister,\n\nAna"},
        language=language,
    )
    assert render(letter).body.strip() == "Dear Minister,\n\nAna"


def test_the_link_hides_the_address_and_cannot_be_made_up():
    token = links.token_for(EMAIL)
    assert "ana" not in token and "example" not in token
    assert links.holder(token[:-4] + "AAAA") is None
    assert links.holder("made-up") is None


def test_opening_the_page_shows_what_is_held_and_changes_nothing(client):
    petition = factories.petition(title="Free the Lima 5")
    sign_and_confirm(petition)
    Comment.objects.create(
        petition=petition,
        name="Ana",
        email=EMAIL,
        email_digest=email_digest(EMAIL),
        text="Free them!",
        status="approved",
    )
    before = (Signature.objects.get().wants_updates, ConsentLog.objects.count())
    response = client.get(my_data_path(Message.objects.first()))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Free the Lima 5" in page and "Ana María Quispe" in page and "Free them!" in page
    assert "15001" in page and EMAIL in page  # private to the link holder
    assert "no-store" in response["Cache-Control"]
    assert consent_text_in(page)
    assert (Signature.objects.get().wants_updates, ConsentLog.objects.count()) == before


def consent_text_in(page: str) -> bool:
    from outcry.privacy import consent

    return consent.current(consent.UPDATES, "en") in page


def test_the_download_holds_everything_as_json(client):
    petition = factories.petition()
    sign_and_confirm(petition)
    response = client.get(reverse("my_data_download", args=[links.token_for(EMAIL)]))
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(b"".join(response) if response.streaming else response.content)
    (signature,) = data["signatures"]
    assert signature["email"] == EMAIL and signature["postcode"] == "15001"
    assert {c["consent"] for c in data["consents"]} == {
        "signing-2026-11-en",
        "show_name-2026-11-en",
        "updates-2026-11-en",
    }


def test_withdrawing_drops_the_count_through_the_ledger_and_the_name_from_the_list(client):
    petition = factories.petition()
    sign_and_confirm(petition)
    factories.signature(petition=petition, email="other@example.org")
    assert count_of(petition) == 2
    assert "Ana María Quispe" in public_list(client, petition)
    path = page_path(EMAIL)
    signature = Signature.objects.get(email_digest=email_digest(EMAIL))
    response = client.post(path, {"action": "withdraw", "signature": signature.pk})
    assert response.status_code == 302
    # The petition row waits for the worker: the change is a ledger row.
    assert Petition.objects.get(pk=petition.pk).signature_count == 2
    assert CountDelta.objects.get().delta == -1
    assert count_of(petition) == 1
    assert signing.reconcile() == []
    assert "Ana María Quispe" not in public_list(client, petition)
    rows = list(exports.signature_rows(petition, confirmed_only=False))
    assert len(rows) == 2 and EMAIL not in str(rows)
    withdrawn = ConsentLog.objects.filter(record_id=signature.pk, given=False)
    assert {r.text.kind for r in withdrawn} == {"signing", "show_name", "updates"}
    # Audited without personal data.
    entry = AuditEntry.objects.get(verb="signature withdrawn by its signer")
    assert entry.organisation == petition.organisation and EMAIL not in str(entry.detail)


def test_someone_elses_signature_cannot_be_withdrawn_from_my_page(client):
    petition = factories.petition()
    theirs = factories.signature(petition=petition, email="other@example.org")
    sign_and_confirm(petition)
    client.post(page_path(EMAIL), {"action": "withdraw", "signature": theirs.pk})
    assert Signature.objects.filter(pk=theirs.pk).exists()
    assert not CountDelta.objects.filter(delta=-1).exists()


def test_stop_all_updates_covers_every_petition_and_case(client):
    for _ in range(2):
        sign_and_confirm(factories.petition())
    action = factories.urgent_action()
    from outcry.actions.models import ActionReport

    ActionReport.objects.create(
        action=action,
        country="PE",
        letters=1,
        email="Ana@example.org",
        email_digest=email_digest("Ana@example.org"),
        wants_updates=True,
        language="en",
        status="counted",
    )
    client.post(page_path(EMAIL), {"action": "stop_updates"})
    assert not Signature.objects.filter(wants_updates=True).exists()
    assert not ActionReport.objects.filter(wants_updates=True).exists()
    assert ConsentLog.objects.filter(given=False, via="my_data").count() == 3


def test_erasing_anonymises_keeps_the_count_and_stops_all_unasked_mail(client):
    petition = factories.petition()
    sign_and_confirm(petition)
    Comment.objects.create(
        petition=petition,
        name="Ana",
        email=EMAIL,
        email_digest=email_digest(EMAIL),
        text="Free them!",
        status="approved",
    )
    assert count_of(petition) == 1
    response = client.post(page_path(EMAIL), {"action": "erase", "confirm": "on"})
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.name, signature.email, signature.postcode, signature.ip_hash) == ("",) * 4
    assert signature.public_name == "Anonymous" and signature.state == "confirmed"
    assert count_of(petition) == 1 and signing.reconcile() == []
    assert not Comment.objects.exists()
    assert not Message.objects.filter(to_digest=email_digest(EMAIL)).exists()
    assert DoNotContact.objects.filter(email_digest=email_digest(EMAIL)).exists()
    page = client.get(page_path(EMAIL)).content.decode()
    assert "Ana María" not in page
    # An update to that petition, or "already signed", never reaches the address again...
    assert (
        enqueue(to="ANA@example.org", template="signing/email/update", context={}, language="en")
        is None
    )
    assert AuditEntry.objects.filter(verb="supporter erased their data").count() == 1


def test_after_erasure_signing_again_is_mailed_and_confirming_lifts_do_not_contact(client):
    petition, other = factories.petition(), factories.petition()
    sign_and_confirm(petition)
    client.post(page_path(EMAIL), {"action": "erase", "confirm": "on"})
    sign(other)  # the person asks for it: the confirmation goes out
    assert Message.objects.filter(
        to_digest=email_digest(EMAIL), template="signing/email/confirm"
    ).exists()
    sign_and_confirm(other)
    assert not DoNotContact.objects.exists()
    update = PetitionUpdate.objects.create(petition=other, title="News", body="Good news")
    signing.mail_updates()
    assert Message.objects.filter(
        to_digest=email_digest(EMAIL), template="signing/email/update"
    ).exists(), update


def test_erasing_without_ticking_the_box_says_what_to_do_in_spanish(client):
    sign_and_confirm(factories.petition())
    response = client.post(page_path(EMAIL, "es"), {"action": "erase"})
    assert response.status_code == 400
    assert "Marque la casilla para confirmar el borrado." in response.content.decode()
    assert Signature.objects.get().email == EMAIL


def test_an_expired_link_offers_a_fresh_one_to_the_same_address(client, time_machine, settings):
    sign_and_confirm(factories.petition())
    path = page_path(EMAIL)
    time_machine.move_to(timezone.now() + timedelta(days=settings.MY_DATA_LINK_DAYS + 1))
    response = client.get(path)
    assert response.status_code == 410 and EMAIL not in response.content.decode()
    assert client.post(path, {"action": "erase", "confirm": "on"}).status_code == 200
    assert Signature.objects.get().email == EMAIL  # an expired link changes nothing
    link_mail = Message.objects.get(template="privacy/email/link")
    assert link_mail.to == EMAIL and client.get(my_data_path(link_mail)).status_code == 200


def test_asking_for_a_link_answers_the_same_whether_or_not_we_hold_anything(client, time_machine):
    from tests.guard.helpers import human

    sign_and_confirm(factories.petition())
    url = reverse("my_data_request")
    known = client.post(url, human(email=EMAIL))
    unknown = client.post(url, human(email="nobody@example.org"))
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert Message.objects.filter(template="privacy/email/link").count() == 2


def test_one_address_gets_only_a_few_links_an_hour(client, settings):
    from tests.guard.helpers import human

    settings.MY_DATA_LINKS_PER_ADDRESS_PER_HOUR = 2
    for n in range(4):
        client.post(reverse("my_data_request"), human(email=EMAIL), REMOTE_ADDR=f"10.0.0.{n}")
    assert Message.objects.filter(template="privacy/email/link").count() == 2


def test_the_page_buttons_are_rate_limited(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "my_data": (2, 60)}
    path = page_path(EMAIL)
    codes = [client.post(path, {"action": "stop_updates"}).status_code for _ in range(3)]
    assert codes == [302, 302, 429]


def test_a_bad_email_gets_a_clear_error_in_spanish(client):
    from tests.guard.helpers import human

    with translation.override("es"):
        url = reverse("my_data_request")
    response = client.post(url, human(email="not-an-address"))
    assert response.status_code == 400
    assert "Introduzca una dirección" in response.content.decode() or (
        "nombre@example.org" in response.content.decode()
    )
    assert not Message.objects.exists()
