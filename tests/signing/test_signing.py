from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError
from django.utils import timezone

from outcry.outbox.models import Message
from outcry.privacy.digest import canonical_email
from outcry.signing import services
from outcry.signing.models import CountDelta, NameDisplay, Signature
from tests import factories
from tests.guard.helpers import human

pytestmark = pytest.mark.django_db


def sign(petition, email="ana@example.org", **kwargs):
    fields = {
        "name": "Ana María Quispe",
        "email": email,
        "country": "PE",
        "postcode": "",
        "name_display": NameDisplay.FULL,
        "wants_updates": False,
        "language": "en",
        **kwargs,
    }
    services.sign(petition=petition, **fields)


def confirm_url_token(message: Message) -> str:
    return message.context["confirm_url"].rstrip("/").rsplit("/", 1)[-1]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Ana@Example.ORG", "ana@example.org"),
        ("ana+peru@example.org", "ana@example.org"),
        ("a.n.a@gmail.com", "ana@gmail.com"),
        ("A.N.A+news@googlemail.com", "ana@gmail.com"),
        ("a.n.a@example.org", "a.n.a@example.org"),  # dots only fold on Gmail
    ],
)
def test_canonical_email_folds_spellings_of_one_mailbox(given, expected):
    assert canonical_email(given) == expected


def test_signing_stores_a_pending_signature_and_queues_its_confirmation():
    petition = factories.petition()
    sign(petition)
    signature = Signature.objects.get()
    assert signature.state == Signature.State.PENDING
    assert signature.token_hash and len(signature.token_hash) == 64
    message = Message.objects.get()
    assert message.template == "signing/email/confirm"
    assert message.to == "ana@example.org"
    token = confirm_url_token(message)
    # Only the hash is stored: the raw token is nowhere in the signature row.
    assert token not in signature.token_hash
    assert services.hash_token(token) == signature.token_hash


def test_confirming_counts_the_signature_once_the_worker_aggregates():
    petition = factories.petition()
    sign(petition)
    token = confirm_url_token(Message.objects.get())
    assert services.confirm(raw_token=token) is not None
    petition.refresh_from_db()
    assert petition.signature_count == 0  # the request never touches the petition row
    assert services.apply_count_deltas() == 1
    petition.refresh_from_db()
    assert petition.signature_count == 1
    assert not CountDelta.objects.exists()


def test_confirmation_token_is_single_use():
    petition = factories.petition()
    sign(petition)
    token = confirm_url_token(Message.objects.get())
    assert services.confirm(raw_token=token) is not None
    assert services.confirm(raw_token=token) is None
    assert CountDelta.objects.count() == 1


def test_confirmation_token_expires():
    petition = factories.petition()
    sign(petition)
    token = confirm_url_token(Message.objects.get())
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert services.signature_for_token(token) is None
        assert services.confirm(raw_token=token) is None
    assert Signature.objects.get().state == Signature.State.PENDING


def test_duplicate_signature_is_not_revealed_and_sends_already_signed_mail():
    petition = factories.petition()
    sign(petition, email="maria.lopez@gmail.com")
    services.confirm(raw_token=confirm_url_token(Message.objects.get()))
    sign(petition, email="MariaLopez+peru@googlemail.com", name="Someone Else")
    assert Signature.objects.count() == 1
    assert Signature.objects.get().name == "Ana María Quispe"
    latest = Message.objects.order_by("-id").first()
    assert latest.template == "signing/email/already_signed"
    assert latest.to == "MariaLopez+peru@googlemail.com"


def test_signing_again_while_pending_sends_a_fresh_link_and_retires_the_old_one():
    petition = factories.petition()
    sign(petition)
    old = confirm_url_token(Message.objects.get())
    sign(petition, email="ANA@example.org")
    new = confirm_url_token(Message.objects.order_by("-id").first())
    assert old != new
    assert services.confirm(raw_token=old) is None
    assert services.confirm(raw_token=new) is not None


def test_database_refuses_two_signatures_for_one_mailbox():
    petition = factories.petition()
    factories.signature(petition=petition, email="ana@example.org")
    with pytest.raises(IntegrityError):
        factories.signature(petition=petition, email="Ana+x@example.org")


def test_closed_petition_refuses_signatures_and_writes_nothing():
    petition = factories.petition(closed_at=timezone.now())
    with pytest.raises(services.PetitionClosed):
        sign(petition)
    past_deadline = factories.petition(deadline=timezone.now() - timedelta(minutes=1))
    with pytest.raises(services.PetitionClosed):
        sign(past_deadline)
    assert not Signature.objects.exists()
    assert not Message.objects.exists()


# Outside a test transaction: sign() makes no savepoint, the outermost transaction
# (here its own) is what rolls back.
@pytest.mark.django_db(transaction=True)
def test_failure_after_insert_leaves_nothing_half_written(monkeypatch):
    petition = factories.petition()

    def broken_enqueue(**kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(services, "enqueue", broken_enqueue)
    with pytest.raises(RuntimeError):
        sign(petition)
    assert not Signature.objects.exists()


@pytest.mark.parametrize(
    ("display", "shown"),
    [
        (NameDisplay.FULL, "Ana María Quispe"),
        (NameDisplay.SHORT, "Ana Q."),
        (NameDisplay.ANONYMOUS, "Anonymous"),
    ],
)
def test_public_name_shows_only_what_the_signer_chose(display, shown):
    petition = factories.petition()
    signature = factories.signature(
        petition=petition, name="Ana María Quispe", name_display=display
    )
    assert signature.public_name == shown


def test_reconcile_corrects_drift_and_says_so():
    petition = factories.petition()
    for _ in range(3):
        factories.signature(petition=petition)
    services.apply_count_deltas()
    petition.refresh_from_db()
    assert petition.signature_count == 3
    type(petition).objects.filter(pk=petition.pk).update(signature_count=7)
    corrections = services.reconcile()
    assert [(c.petition.pk, c.was, c.now) for c in corrections] == [(petition.pk, 7, 3)]
    petition.refresh_from_db()
    assert petition.signature_count == 3
    assert services.reconcile() == []


def test_reconcile_leaves_waiting_deltas_for_the_worker():
    """A confirmation not yet aggregated is neither lost nor counted twice."""
    petition = factories.petition()
    factories.signature(petition=petition)
    services.apply_count_deltas()
    factories.signature(petition=petition)  # confirmed, its delta still waiting
    assert services.reconcile() == []
    services.apply_count_deltas()
    petition.refresh_from_db()
    assert petition.signature_count == 2


def test_reconcile_command_reports(capsys):
    from django.core.management import call_command

    petition = factories.petition(slug="drifted")
    factories.signature(petition=petition)
    CountDelta.objects.all().delete()  # a count change lost somewhere
    call_command("reconcile")
    assert "drifted: showed 0, corrected to 1" in capsys.readouterr().out
    call_command("reconcile")
    assert "All counts are right." in capsys.readouterr().out


def test_signature_keeps_a_keyed_ip_hash_and_where_it_came_from(client):
    petition = factories.petition()
    page = client.get(
        petition.get_absolute_url() + "?utm_source=newsletter",
        HTTP_REFERER="https://news.example.org/story/123?x=1",
    ).content.decode()
    assert 'name="referrer" value="news.example.org"' in page
    client.post(
        f"/en/petitions/{petition.slug}/sign/",
        human(
            {
                "name": "Ana",
                "email": "ana@example.org",
                "country": "PE",
                "name_display": "full",
                "referrer": "news.example.org",
                "utm_source": "newsletter",
            },
            campaign=petition,
        ),
        REMOTE_ADDR="203.0.113.9",
    )
    signature = Signature.objects.get()
    assert (signature.referrer, signature.utm_source) == ("news.example.org", "newsletter")
    assert len(signature.ip_hash) == 64 and "203.0.113.9" not in signature.ip_hash
    from outcry.signing.provenance import ip_hash

    assert signature.ip_hash == ip_hash("203.0.113.9") != ip_hash("203.0.113.10")


@pytest.mark.parametrize("code", ["PE", "ES", "XX", "pe", "ZZZ"])
def test_sign_form_takes_listed_country_codes_only(code):
    from django_countries import countries

    from outcry.signing.forms import SignatureForm

    petition = factories.petition()
    form = SignatureForm(
        human(
            {"name": "Ana", "email": "ana@example.org", "country": code, "name_display": "full"},
            campaign=petition,
        ),
        campaign=petition,
    )
    assert form.is_valid() is (code in dict(countries))
    if code not in dict(countries):
        assert "country" in form.errors
