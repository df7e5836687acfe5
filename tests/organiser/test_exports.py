import csv
import io
import multiprocessing
import tracemalloc
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models import Value
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from outcry.actions import services as actions
from outcry.campaigns.models import Role
from outcry.organiser import exports
from outcry.organiser.models import AuditEntry
from outcry.privacy.digest import email_digest
from outcry.privacy.models import ConsentLog, ConsentText
from outcry.signing.models import NameDisplay, Signature
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return factories.organisation()


@pytest.fixture
def editor(client, org):
    user = factories.user(org=org, role=Role.EDITOR)
    client.force_login(user)
    return user


def many_signatures(petition, n):
    now = timezone.now()
    Signature.objects.bulk_create(
        Signature(
            petition=petition,
            name=f"Signer Number{i}",
            email=f"signer{i}@example.org",
            email_digest=email_digest(f"signer{i}@example.org"),
            country="PE",
            name_display=NameDisplay.FULL,
            language="en",
            state=Signature.State.CONFIRMED,
            confirmed_at=now,
        )
        for i in range(n)
    )


def rows_of(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def signatures_url(org, petition, **query):
    url = reverse("delivery_export_signatures", kwargs={"org": org.slug, "pk": petition.pk})
    return url + ("?all=1" if query.get("all") else "")


def test_signature_export_has_consent_flags_and_consent_version(client, org, editor):
    petition = factories.petition(org=org)
    factories.signature(
        petition=petition,
        name="Ana María Quispe",
        email="ana@example.org",
        postcode="15001",
        wants_updates=True,
        name_display=NameDisplay.SHORT,
    )
    rows = rows_of(client.get(signatures_url(org, petition)))
    assert list(rows[0]) == exports.SIGNATURE_COLUMNS
    (row,) = rows
    assert row["name"] == "Ana María Quispe" and row["public_name"] == "Ana Q."
    assert row["email"] == "ana@example.org" and row["postcode"] == "15001"
    assert row["wants_updates"] == "yes" and row["name_display"] == "short"
    # Which texts the signer agreed to: kind, version and language.
    assert row["consent_version"] == "signing-2026-11-en" and row["state"] == "confirmed"
    assert row["show_name_consent"] == "show_name-2026-11-en"
    assert row["updates_consent"] == "updates-2026-11-en"
    assert row["confirmed_at"] and row["created_at"] and row["country"] == "PE"


def test_signature_export_counts_what_the_page_counts_unless_asked_for_all(client, org, editor):
    petition = factories.petition(org=org)
    factories.signature(petition=petition)
    factories.signature(petition=petition, confirmed=False)
    assert len(rows_of(client.get(signatures_url(org, petition)))) == 1
    everything = rows_of(client.get(signatures_url(org, petition, all=True)))
    assert sorted(r["state"] for r in everything) == ["confirmed", "pending"]


def test_every_export_is_in_the_audit_log(client, org, editor):
    petition = factories.petition(org=org)
    action = factories.urgent_action(org=org)
    client.get(signatures_url(org, petition, all=True))
    client.get(reverse("delivery_export_reports", kwargs={"org": org.slug, "pk": action.pk}))
    entries = AuditEntry.objects.filter(organisation=org, user=editor).order_by("id")
    assert [(e.verb, e.detail.get("which")) for e in entries] == [
        ("exported signatures", "all"),
        ("exported action reports", None),
    ]


def test_a_name_cannot_become_a_spreadsheet_formula(client, org, editor):
    petition = factories.petition(org=org)
    factories.signature(petition=petition, name='=HYPERLINK("http://evil.example","x")')
    (row,) = rows_of(client.get(signatures_url(org, petition)))
    assert row["name"].startswith("'=")


def test_export_streams_rows_lazily(client, org, editor):
    petition = factories.petition(org=org)
    many_signatures(petition, 5000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(signatures_url(org, petition))
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    # Nothing was read from the signatures yet: rows are fetched as the body is sent.
    assert not any('FROM "signing_signature"' in q["sql"] for q in queries.captured_queries)
    pieces = list(response.streaming_content)
    assert pieces[0].decode().startswith("created_at,confirmed_at,state,name")
    assert sum(piece.count(b"\n") for piece in pieces) == 5001
    # In pieces of about PIECE characters: never the whole file at once, never a row at a time.
    assert len(pieces) > 5 and all(len(piece) < exports.PIECE + 1000 for piece in pieces)
    assert all(len(piece) >= exports.PIECE for piece in pieces[:-1])


def test_export_memory_stays_flat_however_many_rows(org, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 1000)  # four chunks against twenty
    small, large = factories.petition(org=org), factories.petition(org=org)
    many_signatures(small, 4_000)
    many_signatures(large, 20_000)

    def peak(petition) -> tuple[int, int]:
        tracemalloc.start()
        try:
            lines = exports.csv_lines(exports.signature_rows(petition, confirmed_only=True))
            size = sum(len(line) for line in lines)
            return size, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small_size, small_peak = peak(small)
    large_size, large_peak = peak(large)
    # Five times the rows take the same memory (about one chunk's), less than the file.
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)
    assert large_size > 4 * small_size and large_peak < large_size, (large_peak, large_size)


def test_report_export_has_counts_per_channel_and_consent(client, org, editor):
    action = factories.urgent_action(org=org)
    data = {field: 0 for field, _label in exports.CHANNELS}
    actions.save_report(
        action=action,
        data={**data, "letters": 2, "calls": 1, "country": "CL", "email": "a@example.org"},
        targets=action.ordered_targets(),
        language="es",
    )
    response = client.get(
        reverse("delivery_export_reports", kwargs={"org": org.slug, "pk": action.pk})
    )
    assert isinstance(response, StreamingHttpResponse)
    (row,) = rows_of(response)
    assert list(row) == exports.REPORT_COLUMNS
    assert row["letters"] == "2" and row["calls"] == "1" and row["emails"] == "0"
    assert row["country"] == "CL" and row["email"] == "a@example.org"
    assert row["status"] == "counted" and row["late"] == "no" and row["wants_updates"] == "no"
    assert row["consent_version"] == ""  # no updates asked for, so no consent to them


def test_exports_are_for_owners_and_editors_only(client, org):
    petition = factories.petition(org=org)
    client.force_login(factories.user(org=org, role=Role.MODERATOR))
    assert client.get(signatures_url(org, petition)).status_code == 404
    assert not AuditEntry.objects.filter(verb="exported signatures").exists()


def test_a_consent_text_published_during_an_export_gets_its_label(org):
    petition = factories.petition(org=org)
    signature = factories.signature(petition=petition)
    rows = exports.signature_rows(petition, confirmed_only=True)
    assert next(rows) == exports.SIGNATURE_COLUMNS  # the export has begun
    entry = ConsentLog.objects.get(record="signature", record_id=signature.pk, text__kind="signing")
    newer = ConsentText.objects.create(
        kind="signing", version="2027-01", language="es", text="Newer text"
    )
    ConsentLog.objects.create(
        text=newer,
        given=True,
        email_digest=entry.email_digest,
        record=entry.record,
        record_id=entry.record_id,
        via=entry.via,
    )
    (row,) = rows
    assert row[exports.SIGNATURE_COLUMNS.index("consent_version")] == "signing-2027-01-es"


def test_a_consent_withdrawn_after_it_was_given_leaves_its_column_blank(client, org, editor):
    from outcry.actions.models import ActionReport
    from outcry.privacy import services as privacy

    petition = factories.petition(org=org)
    signature = factories.signature(petition=petition, wants_updates=True)
    (row,) = rows_of(client.get(signatures_url(org, petition)))
    assert row["updates_consent"] == "updates-2026-11-en"

    privacy.withdraw_updates(
        signatures=Signature.objects.filter(pk=signature.pk),
        reports=ActionReport.objects.none(),
        via=ConsentLog.Via.MY_DATA,
    )
    (row,) = rows_of(client.get(signatures_url(org, petition)))
    assert row["updates_consent"] == ""
    assert row["consent_version"] == "signing-2026-11-en"  # signing itself still holds


def log_consent(record_id: int, kind: str, *, given: bool, version="2026-11", record="signature"):
    """A consent log entry as a link in an e-mail or the "my data" page would add it."""
    text, _ = ConsentText.objects.get_or_create(
        kind=kind, version=version, language="en", defaults={"text": f"{kind} {version}"}
    )
    ConsentLog.objects.create(
        text=text,
        given=given,
        email_digest="0" * 64,
        record=record,
        record_id=record_id,
        via=ConsentLog.Via.LINK,
    )


# Each signer's consent history (after the sign form's entries), and the consent
# columns it must export: consent_version, show_name_consent, updates_consent.
HISTORIES = [
    ({}, [], ("signing-2026-11-en", "show_name-2026-11-en", "")),
    # Updates withdrawn after they were given.
    (
        {"wants_updates": True},
        [("updates", False)],
        ("signing-2026-11-en", "show_name-2026-11-en", ""),
    ),
    # Withdrawn, then given again to a newer text.
    (
        {"wants_updates": True},
        [("updates", False), ("updates", True, "2027-01")],
        ("signing-2026-11-en", "show_name-2026-11-en", "updates-2027-01-en"),
    ),
    # Never shown, so never agreed to; the signature itself withdrawn.
    ({"name_display": NameDisplay.ANONYMOUS}, [("signing", False)], ("", "", "")),
    # Withdrawn and given again to the same text.
    (
        {},
        [("show_name", False), ("show_name", True)],
        ("signing-2026-11-en", "show_name-2026-11-en", ""),
    ),
]


def consent_columns(rows) -> dict[str, tuple[str, str, str]]:
    columns = ("consent_version", "show_name_consent", "updates_consent")
    return {row["email"]: tuple(row[c] for c in columns) for row in rows}


@pytest.mark.parametrize("spread", [1, 2, 4])
def test_the_latest_consent_entry_decides_each_label_in_every_chunk(
    client, org, editor, monkeypatch, spread
):
    """Chunks of two rows. With `spread` 1 a petition's signatures are all of its chunks'
    ranges of ids; with 2 and 4 another petition's lie between them, with other histories."""
    monkeypatch.setattr(exports, "CHUNK", 2)
    petition, other = factories.petition(org=org), factories.petition(org=org)
    expected = {petition.pk: {}, other.pk: {}}
    for n in range(2 * len(HISTORIES)):
        for i in range(spread):
            target = petition if i == 0 else other
            fields, history, columns = HISTORIES[(n + i) % len(HISTORIES)]
            email = f"s{n}-{i}@example.org"
            signature = factories.signature(petition=target, email=email, **fields)
            for kind, given, *version in history:
                log_consent(signature.pk, kind, given=given, version=(version or ["2026-11"])[0])
            # An action report with the same number: its entries are not the signature's.
            log_consent(signature.pk, "signing", given=not columns[0], record="report")
            expected[target.pk][email] = columns
    for exported in (petition, other) if spread > 1 else (petition,):
        rows = rows_of(client.get(signatures_url(org, exported)))
        assert consent_columns(rows) == expected[exported.pk]
        assert len(rows) == len(expected[exported.pk])


def test_an_export_queries_the_consent_log_once_per_chunk_not_per_row(
    org, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(exports, "CHUNK", 4)
    petition = factories.petition(org=org)
    for n in range(12):
        factories.signature(petition=petition, wants_updates=n % 2 == 0)
    rows = exports.signature_rows(petition, confirmed_only=True)
    # Three full chunks: the texts, then per chunk its ids, its signatures and one
    # look-up of the log, then the ids after the last one (none).
    with django_assert_max_num_queries(1 + 3 * 3 + 1):
        exported = list(rows)
    updates = exports.SIGNATURE_COLUMNS.index("updates_consent")
    assert len(exported) == 1 + 12
    assert [row[updates] for row in exported[1:]] == ["updates-2026-11-en", ""] * 6


def test_a_report_export_shows_the_case_updates_consent_while_it_holds(client, org, editor):
    action = factories.urgent_action(org=org)
    data = {field: 0 for field, _label in exports.CHANNELS}
    data.update(letters=1, country="CL", email="a@example.org", wants_updates=True)
    report = actions.save_report(
        action=action, data=data, targets=action.ordered_targets(), language="es"
    )
    url = reverse("delivery_export_reports", kwargs={"org": org.slug, "pk": action.pk})
    (row,) = rows_of(client.get(url))
    assert row["wants_updates"] == "yes"
    assert row["consent_version"] == "case_updates-2026-11-es"

    actions.save_report(
        action=action,
        data={**data, "wants_updates": False},
        targets=action.ordered_targets(),
        language="es",
        report=report,
    )
    (row,) = rows_of(client.get(url))
    assert row["wants_updates"] == "no" and row["consent_version"] == ""


def test_a_small_petition_among_others_reads_only_its_own_signers_consents(org, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 2)
    read = spy(monkeypatch, "agreed")
    small, large = factories.petition(org=org), factories.petition(org=org)
    for _n in range(4):
        factories.signature(petition=small)
        for _i in range(3):
            factories.signature(petition=large)
    assert len(list(exports.signature_rows(small, confirmed_only=True))) == 1 + 4
    own = set(Signature.objects.filter(petition=small).values_list("id", flat=True))
    # Two chunks, each spanning the large petition's signatures too: none of theirs read.
    assert len(read) == 2 and all(labels and set(labels) <= own for labels in read)


@pytest.mark.parametrize("microsecond", [0, 120_000, 123_456])
def test_times_are_written_as_django_writes_their_values(client, org, editor, microsecond):
    petition = factories.petition(org=org)
    when = datetime(2026, 11, 2, 10, 0, 0, microsecond, tzinfo=UTC)
    signature = factories.signature(petition=petition, created_at=when, confirmed_at=when)
    signature.refresh_from_db()
    (row,) = rows_of(client.get(signatures_url(org, petition)))
    assert row["created_at"] == exports.cell(signature.created_at) == exports.cell(when)
    assert row["confirmed_at"] == exports.cell(signature.confirmed_at)


@pytest.mark.parametrize(
    "stored, written",
    [
        # Another zone than the UTC of Django's session.
        ("2026-11-02 11:00:00.5+01", "2026-11-02T10:00:00.500000+00:00"),
        ("2026-11-02 05:30:00.5-04:30", "2026-11-02T10:00:00.500000+00:00"),
        # Written to SQLite by another tool, with a fraction of zeros.
        ("2026-11-02 10:00:00.000000", "2026-11-02T10:00:00+00:00"),
    ],
)
def test_a_time_stored_otherwise_is_written_as_its_value(stored, written):
    assert exports.utc_iso(stored) == written


def spread_export(monkeypatch, *, chunk: int):
    """Chunks of `chunk` rows, every other one written by the child from the first on;
    returns the child processes started, as the export starts them."""
    monkeypatch.setattr(exports, "CHUNK", chunk)
    monkeypatch.setattr(exports, "SPREAD_FROM", 0)
    return spy(monkeypatch, "spawn_child")


def spy(monkeypatch, name: str) -> list:
    """What each call of exports.`name` returns, as the export calls it."""
    returned = []
    original = getattr(exports, name)

    def recording(*args, **kwargs):
        returned.append(original(*args, **kwargs))
        return returned[-1]

    monkeypatch.setattr(exports, name, recording)
    return returned


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("n", [9, 10])  # the last chunk part-full, or full
def test_chunks_a_child_writes_come_back_in_order_as_one_process_writes_them(org, monkeypatch, n):
    petition = factories.petition(org=org)
    for i in range(n):
        factories.signature(
            petition=petition,
            name=f"Signer {i} Ñandú",
            wants_updates=i % 3 == 0,
            name_display=(NameDisplay.SHORT, NameDisplay.FULL, NameDisplay.ANONYMOUS)[i % 3],
            postcode="" if i % 2 else f"1500{i}",
        )
    factories.signature(petition=petition, confirmed=False)
    started = spread_export(monkeypatch, chunk=2)
    by_one = exports.csv_text(exports.signature_rows(petition, confirmed_only=True))
    spread = "".join(exports.signature_texts(petition, confirmed_only=True))
    assert len(started) == 1  # the child wrote chunks 1, 3...
    assert spread == by_one
    emails = [row["email"] for row in csv.DictReader(io.StringIO(spread))]
    assert len(emails) == n and emails == [
        s.email for s in Signature.objects.filter(state="confirmed").order_by("id")
    ]


@pytest.mark.django_db(transaction=True)
def test_a_value_the_child_cannot_decrypt_fails_the_export_loudly(org, monkeypatch):
    from cryptography.fernet import Fernet

    from outcry.privacy.fields import UndecryptableError

    petition = factories.petition(org=org)
    signatures = [factories.signature(petition=petition) for _ in range(6)]
    # The fourth signature, in the child's second chunk, under a key the install lacks.
    foreign = Fernet(Fernet.generate_key()).encrypt(b"Rosa Quispe").decode()
    Signature.objects.filter(pk=signatures[3].pk).update(name=Value(foreign))
    spread_export(monkeypatch, chunk=2)
    with pytest.raises(UndecryptableError, match=r"Signature\.name"):
        list(exports.signature_texts(petition, confirmed_only=True))


@pytest.mark.django_db(transaction=True)
def test_an_export_left_half_read_stops_its_child(org, monkeypatch):
    petition = factories.petition(org=org)
    for _ in range(12):
        factories.signature(petition=petition)
    started = spread_export(monkeypatch, chunk=2)
    before = set(multiprocessing.active_children())
    texts = exports.signature_texts(petition, confirmed_only=True)
    assert next(texts).startswith("created_at,")
    assert next(texts).count("\n") == 2
    assert len(started) == 1
    children = set(multiprocessing.active_children()) - before
    assert len(children) == 1 and all(p.is_alive() for p in children)
    texts.close()  # as the server closes a response whose client went away
    assert not any(p.is_alive() for p in children)


def test_in_a_transaction_an_export_writes_every_chunk_itself(org, monkeypatch):
    """A child would not see what the transaction has not committed."""
    petition = factories.petition(org=org)
    for _ in range(6):
        factories.signature(petition=petition)
    started = spread_export(monkeypatch, chunk=2)
    text = "".join(exports.signature_texts(petition, confirmed_only=True))
    assert started == [] and text.count("\n") == 1 + 6


def test_a_range_whose_signatures_were_all_erased_meanwhile_has_no_rows(org):
    petition = factories.petition(org=org)
    signature = factories.signature(petition=petition)
    cells = exports.SignatureCells(petition.pk, confirmed_only=True)
    assert len(cells.between(signature.pk, signature.pk)) == 1
    signature.delete()
    assert cells.between(signature.pk, signature.pk) == []
