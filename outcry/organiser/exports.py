"""Streaming CSV exports of a campaign's signatures and action reports.

Rows come from the database in chunks and leave as CSV text in pieces of
about PIECE characters, so an export of a million signatures takes the memory
of one chunk, not of a million rows. These exports hold personal data: only
owners and editors reach them, and every one is written to the audit log.

A million signatures must export in seconds: the signature rows are read as
the driver returns them, skipping Django's per-value conversions (times as
text), their encrypted columns decrypted by one ColumnDecryptor each, the
consent texts agreed to fetched as ids and labelled from the few texts there
are, and each cell formatted by what its column holds, with no per-value
dispatch.
"""

import csv
import io
from datetime import UTC, datetime
from typing import NamedTuple

from django.db.models import Case, CharField, F, OuterRef, Subquery, Value, When
from django.db.models.functions import Cast, Concat
from django.http import StreamingHttpResponse
from django.utils import timezone

from outcry.actions.models import CHANNELS, ActionReport
from outcry.privacy.fields import ColumnDecryptor, as_stored
from outcry.privacy.models import ConsentKind, ConsentLog, ConsentText
from outcry.signing.models import Signature

# Rows fetched at a time. Their encrypted values make a signature row about 1 KB in
# memory; a chunk is most of an export's memory, and a round trip per thousand rows
# costs nothing next to formatting them.
CHUNK = 1000
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


def agreed(record: str, kind: str) -> Subquery:
    """The label of the text of `kind` a record's signer agreed to, if it still holds.

    From the consent log: the latest entry of that kind for the record, blank
    when there is none or it is a withdrawal. E.g. `signing-2026-11-es`.
    """
    latest = (
        ConsentLog.objects.filter(record=record, record_id=OuterRef("pk"), text__kind=kind)
        .order_by("-id")
        .annotate(
            label=Concat(
                "text__kind",
                Value("-"),
                "text__version",
                Value("-"),
                "text__language",
                output_field=CharField(),
            )
        )
    )
    # The latest entry decides: a withdrawal after the consent leaves the label blank.
    kept = Case(When(given=True, then=F("label")), default=Value(""), output_field=CharField())
    return Subquery(latest.annotate(kept=kept).values("kept")[:1])


def agreed_text(record: str, kind: str) -> Subquery:
    """The id of the text agreed() labels, without its join: run per row of a
    million, a join to the consent texts per row costs more than the row."""
    texts = ConsentText.objects.filter(kind=kind)
    latest = ConsentLog.objects.filter(
        record=record, record_id=OuterRef("pk"), text__in=texts
    ).order_by("-id")
    # The latest entry decides: a withdrawal after the consent leaves no text (blank).
    kept = Case(When(given=True, then=F("text_id")), default=None)
    return Subquery(latest.annotate(kept=kept).values("kept")[:1])


class TextLabels(dict):
    """agreed()'s label of each consent text, by id: the texts (a handful) are read
    once, and a text published while an export runs when its first row comes."""

    def __init__(self):
        super().__init__({None: ""})
        self.read(ConsentText.objects.all())

    def __missing__(self, pk):
        self.read(ConsentText.objects.filter(pk=pk))
        return self[pk]

    def read(self, texts) -> None:
        fields = ("id", "kind", "version", "language")
        self.update({pk: f"{k}-{v}-{lang}" for pk, k, v, lang in texts.values_list(*fields)})


def as_text(field_name: str) -> Cast:
    """A time column as the database writes it as text, for utc_iso() to rearrange:
    Django's loaders parse each time in Python, a fifth of an export's time on
    PostgreSQL."""
    return Cast(field_name, output_field=CharField())


def signature_rows(petition, *, confirmed_only: bool):
    signatures = Signature.objects.filter(petition=petition)
    if confirmed_only:
        signatures = signatures.confirmed()
    record = ConsentLog.Record.SIGNATURE
    rows = (
        signatures.order_by("id")
        .annotate(
            signing_consent=agreed_text(record, ConsentKind.SIGNING),
            show_name_consent=agreed_text(record, ConsentKind.SHOW_NAME),
            updates_consent=agreed_text(record, ConsentKind.UPDATES),
        )
        .values_list(
            as_text("created_at"),
            as_text("confirmed_at"),
            "state",
            as_stored("name"),
            "name_display",
            as_stored("email"),
            "country",
            as_stored("postcode"),
            as_stored("wants_updates"),  # SQLite: 0 or 1
            "signing_consent",
            "show_name_consent",
            "updates_consent",
        )
    )
    label = TextLabels()
    field = Signature._meta.get_field
    names, emails, postcodes = (ColumnDecryptor(field(f)) for f in ("name", "email", "postcode"))
    yield SIGNATURE_COLUMNS
    # Each value formatted as cell() would, knowing its column: states, countries,
    # display choices and consent labels are codes that never start like a formula.
    for (
        created,
        confirmed,
        state,
        name,
        display,
        email,
        country,
        postcode,
        updates,
        signing,
        show_name,
        updates_consent,
    ) in rows.iterator(chunk_size=CHUNK):
        name = names(name)
        yield [
            utc_iso(created),
            utc_iso(confirmed) if confirmed else "",
            state,
            text_cell(name),
            text_cell(public_name(name, display)),
            text_cell(emails(email)),
            country,
            text_cell(postcodes(postcode)),
            "yes" if updates else "no",
            display,
            label[signing],
            label[show_name],
            label[updates_consent],
        ]


def report_rows(action):
    fields = [field for field, _label in CHANNELS]
    rows = (
        ActionReport.objects.filter(action=action)
        .order_by("id")
        .annotate(updates_consent=agreed(ConsentLog.Record.REPORT, ConsentKind.CASE_UPDATES))
        .values_list(
            "created_at",
            "updated_at",
            *fields,
            "country",
            "email",
            "wants_updates",
            "status",
            "late",
            "updates_consent",
        )
    )
    yield REPORT_COLUMNS
    for row in rows.iterator(chunk_size=CHUNK):
        yield [cell(value) for value in row]


def csv_lines(rows):
    """CSV text of rows of cells (strings), in pieces of about PIECE characters."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() >= PIECE:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def streaming_csv(rows, *, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # personal data: no cache keeps a copy
    return response


def signatures_csv(petition, *, confirmed_only: bool) -> StreamingHttpResponse:
    which = "confirmed" if confirmed_only else "all"
    stamp = timezone.localdate().isoformat()
    return streaming_csv(
        signature_rows(petition, confirmed_only=confirmed_only),
        filename=f"{petition.slug}-signatures-{which}-{stamp}.csv",
    )


def reports_csv(action) -> StreamingHttpResponse:
    number = action.number.replace(" ", "-").replace(".", "-")
    return streaming_csv(
        report_rows(action),
        filename=f"{number}-reports-{timezone.localdate().isoformat()}.csv",
    )
