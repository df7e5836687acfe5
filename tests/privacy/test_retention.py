import io
from datetime import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from outcry.actions import services as actions
from outcry.actions.models import ActionReport, LetterBatch
from outcry.campaigns.authoring import close_urgent_action
from outcry.campaigns.models import Comment, Petition
from outcry.privacy.digest import email_digest
from outcry.privacy.models import RetentionRun
from outcry.privacy.retention import apply_retention, months_before
from outcry.signing import services as signing
from outcry.signing.models import Signature
from tests import factories
from tests.privacy.helpers import sign

pytestmark = pytest.mark.django_db

UTC = timezone.get_fixed_timezone(0)


def at(year, month, day) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (at(2026, 8, 31), 6, at(2026, 2, 28)),
        (at(2026, 3, 15), 6, at(2025, 9, 15)),
        (at(2026, 1, 31), 1, at(2025, 12, 31)),
    ],
)
def test_months_before_keeps_the_day_or_takes_the_months_last(moment, months, expected):
    assert months_before(moment, months) == expected


def confirmed_count(petition) -> int:
    signing.apply_count_deltas()
    return Petition.objects.get(pk=petition.pk).signature_count


def test_signers_are_anonymised_six_months_after_the_petition_closes(time_machine):
    time_machine.move_to(at(2026, 1, 10))
    old = factories.petition(closed_at=at(2026, 1, 15))
    recent = factories.petition(closed_at=at(2026, 3, 1))
    for petition in (old, recent):
        factories.signature(petition=petition, email="ana@example.org", postcode="15001")
        Comment.objects.create(
            petition=petition,
            name="Ana",
            email="ana@example.org",
            email_digest=email_digest("ana@example.org"),
            text="Yes",
            status="approved",
        )
    assert confirmed_count(old) == 1
    time_machine.move_to(at(2026, 7, 16))
    run = apply_retention()
    assert (run.signatures_anonymised, run.signatures_deleted) == (1, 0)
    gone = Signature.objects.get(petition=old)
    assert (gone.email, gone.name, gone.postcode) == ("", "", "")
    assert gone.state == Signature.State.CONFIRMED and gone.country == "PE"
    assert Signature.objects.get(petition=recent).email == "ana@example.org"
    assert Comment.objects.get(petition=old).email == ""
    assert Comment.objects.get(petition=recent).email == "ana@example.org"
    # Counts stay honest: the anonymous signature still counts, and reconcile agrees.
    assert confirmed_count(old) == 1 and signing.reconcile() == []
    assert apply_retention() is None  # nothing left to do: no empty run logged
    assert RetentionRun.objects.count() == 1


def test_a_deadline_ends_a_petition_as_closing_does(time_machine, settings):
    settings.RETENTION_MONTHS = 1
    time_machine.move_to(at(2026, 1, 1))
    petition = factories.petition(deadline=at(2026, 1, 20))
    factories.signature(petition=petition)
    time_machine.move_to(at(2026, 2, 19))
    assert apply_retention() is None
    time_machine.move_to(at(2026, 2, 21))
    assert apply_retention().signatures_anonymised == 1


def test_urgent_action_supporters_are_anonymised_after_the_case_closes(time_machine):
    time_machine.move_to(at(2026, 1, 5))
    action = factories.urgent_action(deadline=None)
    data = dict.fromkeys(("letters", "emails", "faxes", "calls", "social_posts"), 0)
    data |= {"contact_forms": 0, "other": 0, "letters": 2, "country": "PE"}
    actions.save_report(
        action=action,
        data={**data, "email": "rosa@example.org", "wants_updates": True},
        targets=[],
        language="es",
    )
    batch = actions.request_letters(
        action=action,
        name="Rosa Quispe",
        email="rosa@example.org",
        country="PE",
        language="es",
        drafts=[
            actions.Draft(target=t, subject="Alto", body="Señora:\n\nActúe.\n\nRosa Quispe\n")
            for t in action.ordered_targets()
        ],
    )
    LetterBatch.objects.filter(pk=batch.pk).update(
        confirmed_at=timezone.now(), token_hash=None, token_expires_at=None
    )
    before = actions.totals(action)
    close_urgent_action(action=action, outcome="Released", user=None)
    time_machine.move_to(at(2026, 7, 4))
    assert apply_retention() is None  # not yet six months
    time_machine.move_to(at(2026, 7, 6))
    run = apply_retention()
    assert (run.reports_anonymised, run.batches_anonymised) == (1, 1)
    assert ActionReport.objects.get().email == "" and not ActionReport.objects.get().wants_updates
    batch.refresh_from_db()
    assert (batch.name, batch.email) == ("", "")
    assert "Rosa" not in batch.letters.get().body
    after = actions.totals(action)
    assert after.actions == before.actions and after.by_country == before.by_country


def test_unconfirmed_signatures_and_letters_go_after_thirty_days(time_machine):
    time_machine.move_to(at(2026, 3, 1))
    petition = factories.petition(deadline=None)
    sign(petition, email="never@example.org")
    sign(petition, email="later@example.org")
    action = factories.urgent_action()
    actions.request_letters(
        action=action,
        name="Rosa",
        email="rosa@example.org",
        country="PE",
        language="es",
        drafts=[actions.Draft(target=action.ordered_targets()[0], subject="s", body="b")],
    )
    confirmed = factories.signature(petition=petition)
    # One signer tries again on day 25: a fresh link, which must keep working.
    time_machine.move_to(at(2026, 3, 26))
    sign(petition, email="later@example.org")
    time_machine.move_to(at(2026, 4, 2))
    run = apply_retention()
    assert (run.signatures_deleted, run.batches_deleted) == (1, 1)
    assert set(Signature.objects.values_list("email", flat=True)) == {
        "later@example.org",
        confirmed.email,
    }
    assert not LetterBatch.objects.exists()
    assert confirmed_count(petition) == 1 and signing.reconcile() == []


def test_the_command_runs_it_and_says_what_it_did(time_machine):
    time_machine.move_to(at(2026, 1, 1))
    sign(factories.petition(), email="never@example.org")
    time_machine.move_to(at(2026, 3, 1))
    out = io.StringIO()
    call_command("retention", stdout=out)
    assert "deleted 1 unconfirmed signatures" in out.getvalue()
    call_command("retention", stdout=out)
    assert out.getvalue().endswith("Nothing to do.\n")


def test_the_retention_log_shows_in_the_admin(admin_client, time_machine):
    RetentionRun.objects.create(signatures_anonymised=7)
    page = admin_client.get("/admin/privacy/retentionrun/").content.decode()
    assert ">7<" in page


# The worker closes stale connections each loop: the test cannot sit in a transaction.
@pytest.mark.django_db(transaction=True)
def test_the_worker_applies_retention_as_it_starts(time_machine, monkeypatch):
    from outcry.outbox.management.commands.worker import Command

    time_machine.move_to(at(2026, 1, 1))
    sign(factories.petition(), email="never@example.org")
    time_machine.move_to(at(2026, 3, 1))
    worker = Command()
    worker.stopping = False
    # One loop: the first pause stops it.
    monkeypatch.setattr(worker, "sleep", lambda seconds: setattr(worker, "stopping", True))
    worker.run()
    assert RetentionRun.objects.get().signatures_deleted == 1
    assert not Signature.objects.exists()
