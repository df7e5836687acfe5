"""Streaming CSV exports of a campaign's signatures and action reports.

Rows come from the database in chunks and leave as CSV text in pieces of
about PIECE characters, so an export of a million signatures takes the memory
of a few chunks, not of a million rows. These exports hold personal data: only
owners and editors reach them, and every one is written to the audit log.

A million signatures must export in seconds: the signature rows are read as
the driver returns them, skipping Django's per-value conversions (times as
text), their encrypted columns decrypted a chunk at a time by one
ColumnDecryptor each, the consents of a chunk of rows read in one query of
the consent log and labelled from the few texts there are, each cell
formatted by what its column holds, with no per-value dispatch, and each
chunk written as CSV in one call. That is still about twenty seconds of one
core's Python, so a large export writes every other chunk in a child process
(signature_texts).

Measured with bench/exports.py on the two-core bench machine (2026-11; a
million confirmed signatures, medians of runs alternated with the code before
the chunk-wise work and the child): on a quiet machine SQLite 25.5 s before,
14.6 s after, PostgreSQL 24.2 s before, 12.7 s after; with another process
using about one core throughout, SQLite 26.2 s and 20.7 s, PostgreSQL 29.0 s
and 20.6 s. Peak memory of the request's process: 83 MB on SQLite and 90 MB on
PostgreSQL (70 and 78 before); the child's, about 80 MB.
"""

import csv
import io
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from multiprocessing import get_context
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import CharField
from django.db.models.functions import Cast
from django.http import StreamingHttpResponse
from django.utils import timezone, translation

from outcry.actions.models import CHANNELS, ActionReport
from outcry.organiser import export_workers
from outcry.privacy.fields import ColumnDecryptor, as_stored
from outcry.privacy.models import ConsentKind, ConsentLog, ConsentText
from outcry.signing.models import Signature

# Rows fetched at a time. Their encrypted values make a signature row about 1 KB in
# memory; a chunk is most of an export's memory (a few of them: see signature_texts).
# Five thousand rather than a thousand: a million signatures exported faster by a
# tenth or more (the queries and the hand-overs to the child per chunk), for about
# 12 MB more at the peak.
CHUNK = 5000
# Chunks of a signature export written before a child process writes every other
# one: a smaller export is over about as soon as a child would have started.
SPREAD_FROM = 4
# Characters of CSV text handed to the server at a time: large enough that the
# per-piece cost of a streaming response vanishes, small against the memory of a chunk.
PIECE = 64 * 1024

SIGNATURE_COLUMNS = [
    "created_at",
    "confirmed_at",
    "state",
    "name",
    "public_name",
    "email",
    "country",
    "postcode",
    "wants_updates",
    "name_display",
    "consent_version",
    "show_name_consent",
    "updates_consent",
]

REPORT_COLUMNS = [
    "created_at",
    "updated_at",
    *(field for field, _label in CHANNELS),
    "country",
    "email",
    "wants_updates",
    "status",
    "late",
    # The case-updates text the reporter agreed to, if they asked for updates.
    "consent_version",
]

# A cell starting with one of these is a formula to a spreadsheet: a signer named
# "=HYPERLINK(...)" must stay a name when an organiser opens the file.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return text_cell(str(value))


def text_cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def utc_iso(stored: str) -> str:
    """A time read as text (as_text()) as cell() writes Django's value of it:
    2026-11-02T10:00:00.120000+00:00 (USE_TZ is on: times are UTC).

    SQLite holds the naive UTC time as text, its fraction of a second as written
    (six digits, or none). PostgreSQL writes it in the session's time zone, which
    Django sets to UTC ("+00"), without the fraction's trailing zeros. Python
    writes six digits, or none when they are all zeros.
    """
    if stored.endswith("+00"):
        stored = stored[:-3]
    elif "+" in stored or stored.count("-") > 2:  # another offset: not in Django's session
        return datetime.fromisoformat(stored).astimezone(UTC).isoformat()
    if len(stored) == 26 and not stored.endswith("000000"):  # six digits, as Python's
        return stored.replace(" ", "T") + "+00:00"  # a third of the time of what follows
    seconds, _, fraction = stored.partition(".")
    if fraction := fraction.rstrip("0"):
        return f"{seconds[:10]}T{seconds[11:]}.{fraction:0<6}+00:00"
    return f"{seconds[:10]}T{seconds[11:]}+00:00"


class NameChoice(NamedTuple):
    name: str
    name_display: str


def public_name(name: str, name_display: str) -> str:
    """The name as the signer chose to show it, by the model's own rule.

    The rule reads only these two fields, so it runs on a plain record: building
    a model instance for each of a million rows would double an export's time.
    """
    return Signature.public_name.fget(NameChoice(name, name_display))


class ConsentTexts(dict):
    """The kind and label of each consent text, by id: the texts (a handful) are read
    once, and a text published while an export runs when its first entry comes."""

    def __init__(self):
        super().__init__()
        self.read(ConsentText.objects.all())

    def __missing__(self, pk):
        self.read(ConsentText.objects.filter(pk=pk))
        return self[pk]

    def read(self, texts) -> None:
        fields = ("id", "kind", "version", "language")
        self.update({pk: (k, f"{k}-{v}-{lang}") for pk, k, v, lang in texts.values_list(*fields)})


def agreed(
    record: str, first: int, last: int, texts: ConsentTexts, *, among=None
) -> dict[int, dict[str, str]]:
    """The label of each text the signers of records numbered first to last agreed to,
    if it still holds: {record id: {kind: label}}, e.g. `signing-2026-11-es`.

    From the consent log, in one query. Its entries are read in id order per
    record, so the latest entry of each kind is the one left: a withdrawal after
    the consent leaves the label blank, a consent given again brings it back.
    `among`, a query of record ids, leaves out the other records in that range.
    """
    entries = ConsentLog.objects.filter(record=record, record_id__range=(first, last))
    if among is not None:
        entries = entries.filter(record_id__in=among)
    labels: dict[int, dict[str, str]] = {}
    for record_id, text_id, given in entries.order_by("record_id", "id").values_list(
        "record_id",
        "text_id",
        as_stored("given"),  # SQLite: 0 or 1
    ):
        kind, label = texts[text_id]
        labels.setdefault(record_id, {})[kind] = label if given else ""
    return labels


def labels_of(chunk, records, record: str, texts: ConsentTexts) -> dict[int, dict[str, str]]:
    """What agreed() finds for a chunk of rows in id order, their first value the id of
    one of `records`.

    One query of the consent log per chunk of rows, by the range of their ids:
    a million-row export looking up each row's consents, three kinds a row,
    spent most of its time on PostgreSQL waiting for them. Where a chunk holds
    most of its range (a large campaign's, whose export must be quick) the
    entries of the few other records in it come along unused; where it does not
    (a small campaign's among others) the query reads the chunk's records again
    to leave the others out, which costs about as much as the look-up itself.
    """
    first, last = chunk[0][0], chunk[-1][0]
    among = None
    if last - first >= 2 * len(chunk):
        among = records.filter(id__range=(first, last)).values("id")
    return agreed(record, first, last, texts, among=among)


def chunks(rows):
    """The rows of a query ordered by id, CHUNK at a time, each chunk a query of its
    own after the last id of the one before: no cursor stays open between chunks.
    (On PostgreSQL, Django's iterator() outside a transaction reads the whole
    result into a cursor WITH HOLD before the first row comes.)"""
    page = rows
    while chunk := list(page[:CHUNK]):
        yield chunk
        if len(chunk) < CHUNK:
            return
        page = rows.filter(id__gt=chunk[-1][0])


def as_text(field_name: str) -> Cast:
    """A time column as the database writes it as text, for utc_iso() to rearrange:
    Django's loaders parse each time in Python, a fifth of an export's time on
    PostgreSQL."""
    return Cast(field_name, output_field=CharField())


def petition_signatures(petition_id: int, *, confirmed_only: bool):
    signatures = Signature.objects.filter(petition_id=petition_id)
    return signatures.confirmed() if confirmed_only else signatures


class SignatureCells:
    """The CSV cells of chunks of a petition's signatures: one per export and process
    (its decryptors are not thread-safe)."""

    def __init__(self, petition_id: int, *, confirmed_only: bool):
        self.signatures = petition_signatures(petition_id, confirmed_only=confirmed_only)
        self.texts = ConsentTexts()
        field = Signature._meta.get_field
        self.names, self.emails, self.postcodes = (
            ColumnDecryptor(field(f)) for f in ("name", "email", "postcode")
        )

    def values(self):
        return self.signatures.order_by("id").values_list(
            "id",
            as_text("created_at"),
            as_text("confirmed_at"),
            "state",
            as_stored("name"),
            "name_display",
            as_stored("email"),
            "country",
            as_stored("postcode"),
            as_stored("wants_updates"),  # SQLite: 0 or 1
        )

    def between(self, first: int, last: int) -> list[list[str]]:
        """The rows of the signatures numbered first to last."""
        return self.rows(list(self.values().filter(id__range=(first, last))))

    def rows(self, chunk: list[tuple]) -> list[list[str]]:
        if not chunk:  # all erased since their ids were read
            return []
        labels = labels_of(chunk, self.signatures, ConsentLog.Record.SIGNATURE, self.texts)
        names = self.names.column([row[4] for row in chunk])
        emails = self.emails.column([row[6] for row in chunk])
        postcodes = self.postcodes.column([row[8] for row in chunk])
        signing, show_name, updates_consent = (
            ConsentKind.SIGNING,
            ConsentKind.SHOW_NAME,
            ConsentKind.UPDATES,
        )
        none: dict[str, str] = {}
        # Each value formatted as cell() would, knowing its column: states, countries,
        # display choices and consent labels are codes that never start like a formula.
        rows = []
        for row, name, email, postcode in zip(chunk, names, emails, postcodes, strict=True):
            pk, created, confirmed, state, _, display, _, country, _, updates = row
            consents = labels.get(pk, none)
            rows.append(
                [
                    utc_iso(created),
                    utc_iso(confirmed) if confirmed else "",
                    state,
                    text_cell(name),
                    text_cell(public_name(name, display)),
                    text_cell(email),
                    country,
                    text_cell(postcode),
                    "yes" if updates else "no",
                    display,
                    consents.get(signing, ""),
                    consents.get(show_name, ""),
                    consents.get(updates_consent, ""),
                ]
            )
        return rows


def signature_rows(petition, *, confirmed_only: bool):
    """The export's rows, header first, read as signature_texts() reads the chunks it
    writes itself: the ids of a chunk, then its signatures by their range."""
    yield SIGNATURE_COLUMNS
    cells = SignatureCells(petition.pk, confirmed_only=confirmed_only)
    for first, last in id_ranges(cells.signatures):
        yield from cells.between(first, last)


def signature_texts(petition, *, confirmed_only: bool):
    """The CSV text of a petition's signatures, a chunk at a time.

    Once SPREAD_FROM chunks are written, every other one is written by a child
    process (export_workers) while this one writes the next, so a large export
    uses two cores; the texts are yielded in order, and no more than three
    chunks are held at once. The child goes with the export, even one the
    client leaves half-read, and an error of its own is raised here. Each
    chunk is read by the range of its ids: the export holds each signature as it
    was when its chunk was read (one erased meanwhile is left out), not all of
    them as they were at one instant.
    """
    yield csv_text([SIGNATURE_COLUMNS])
    cells = SignatureCells(petition.pk, confirmed_only=confirmed_only)
    # The child reads what is committed: in a transaction (a test's) all stays here.
    spread = not connection.in_atomic_block
    child = None
    pending = deque()  # in order: id ranges to write here, and the child's futures
    try:
        for n, (first, last) in enumerate(id_ranges(cells.signatures)):
            if n >= SPREAD_FROM and n % 2 and spread:
                child = child or spawn_child(petition.pk, confirmed_only=confirmed_only)
                pending.append(child.submit(export_workers.text_between, first, last))
            else:
                pending.append((first, last))
            # One chunk written here while the child writes the next.
            while len(pending) > 2:
                yield text_of(pending.popleft(), cells)
        while pending:
            yield text_of(pending.popleft(), cells)
    finally:
        if child:
            child.shutdown(wait=True, cancel_futures=True)


def id_ranges(signatures):
    """(first id, last id) of each chunk of the signatures, as chunks() cuts them."""
    for chunk in chunks(signatures.order_by("id").values_list("id")):
        yield chunk[0][0], chunk[-1][0]


def text_of(task, cells: SignatureCells) -> str:
    if isinstance(task, Future):
        return task.result()  # the child's, or its error
    return csv_text(cells.between(*task))


def spawn_child(petition_id: int, *, confirmed_only: bool) -> ProcessPoolExecutor:
    """A child process set up to write chunks of this export (see export_workers)."""
    start = partial(
        export_workers.start,
        database=connection.settings_dict,
        keys=list(settings.ENCRYPTION_KEYS),
        language=translation.get_language(),
        petition_id=petition_id,
        confirmed_only=confirmed_only,
    )
    return ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=start)


def report_rows(action):
    reports = ActionReport.objects.filter(action=action)
    # The report's own columns: all but the consent, which comes from the log.
    rows = reports.order_by("id").values_list("id", *REPORT_COLUMNS[:-1])
    case_updates = ConsentKind.CASE_UPDATES
    texts = ConsentTexts()
    none: dict[str, str] = {}
    yield REPORT_COLUMNS
    for chunk in chunks(rows):
        labels = labels_of(chunk, reports, ConsentLog.Record.REPORT, texts)
        for row in chunk:
            consents = labels.get(row[0], none)
            yield [*(cell(value) for value in row[1:]), consents.get(case_updates, "")]


def csv_text(rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def pieces(texts):
    """Texts in pieces of PIECE characters (the last one shorter)."""
    held, size = [], 0
    for text in texts:
        held.append(text)
        size += len(text)
        if size >= PIECE:
            text = "".join(held)
            end = size - size % PIECE
            for start in range(0, end, PIECE):
                yield text[start : start + PIECE]
            held, size = [text[end:]], size - end
    if size:
        yield "".join(held)


def csv_lines(rows):
    """CSV text of rows of cells (strings), in pieces of PIECE characters."""
    return pieces(csv_text(chunk) for chunk in iter(lambda: list(islice(rows, CHUNK)), []))


def streaming_csv(lines, *, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # personal data: no cache keeps a copy
    return response


def signatures_csv(petition, *, confirmed_only: bool) -> StreamingHttpResponse:
    which = "confirmed" if confirmed_only else "all"
    stamp = timezone.localdate().isoformat()
    return streaming_csv(
        pieces(signature_texts(petition, confirmed_only=confirmed_only)),
        filename=f"{petition.slug}-signatures-{which}-{stamp}.csv",
    )


def reports_csv(action) -> StreamingHttpResponse:
    number = action.number.replace(" ", "-").replace(".", "-")
    return streaming_csv(
        csv_lines(report_rows(action)),
        filename=f"{number}-reports-{timezone.localdate().isoformat()}.csv",
    )
