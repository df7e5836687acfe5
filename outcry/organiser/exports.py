"""Streaming CSV exports of a campaign's signatures and action reports.

Rows come from the database in chunks and leave as CSV text at once, so an
export of a million signatures takes the memory of one chunk, not of a million
rows. These exports hold personal data: only owners and editors reach them,
and every one is written to the audit log.
"""

import csv
from typing import NamedTuple

from django.http import StreamingHttpResponse
from django.utils import timezone

from outcry.actions.models import CHANNELS, ActionReport
from outcry.signing.consent import CONSENT_VERSION
from outcry.signing.models import Signature

CHUNK = 2000

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
    "consent_version",
]

# A cell starting with one of these is a formula to a spreadsheet: a signer named
# "=HYPERLINK(...)" must stay a name when an organiser opens the file.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Echo:
    """A file whose write() hands the line back, for csv.writer to stream through."""

    def write(self, value):
        return value


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class NameChoice(NamedTuple):
    name: str
    name_display: str


def public_name(name: str, name_display: str) -> str:
    """The name as the signer chose to show it, by the model's own rule.

    The rule reads only these two fields, so it runs on a plain record: building
    a model instance for each of a million rows would double an export's time.
    """
    return Signature.public_name.fget(NameChoice(name, name_display))


def signature_rows(petition, *, confirmed_only: bool):
    signatures = Signature.objects.filter(petition=petition)
    if confirmed_only:
        signatures = signatures.confirmed()
    rows = signatures.order_by("id").values_list(
        "created_at",
        "confirmed_at",
        "state",
        "name",
        "name_display",
        "email",
        "country",
        "postcode",
        "wants_updates",
    )
    yield SIGNATURE_COLUMNS
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
    ) in rows.iterator(chunk_size=CHUNK):
        yield [
            created,
            confirmed,
            state,
            name,
            public_name(name, display),
            email,
            country,
            postcode,
            updates,
            display,
            CONSENT_VERSION,
        ]


def report_rows(action):
    fields = [field for field, _label in CHANNELS]
    rows = (
        ActionReport.objects.filter(action=action)
        .order_by("id")
        .values_list(
            "created_at",
            "updated_at",
            *fields,
            "country",
            "email",
            "wants_updates",
            "status",
            "late",
        )
    )
    yield REPORT_COLUMNS
    for row in rows.iterator(chunk_size=CHUNK):
        yield [*row, CONSENT_VERSION]


def csv_lines(rows):
    writer = csv.writer(Echo())
    for row in rows:
        yield writer.writerow([cell(value) for value in row])


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
