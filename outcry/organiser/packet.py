"""The delivery packet: what an official receives, as a PDF.

For a petition: a cover with the verified count, the letter, the count by
country, then the signers' public names (as each signer chose to show them,
never an e-mail), in columns, under a heading per country once a petition is
large. For an urgent action: the totals, numbers only.

Names are drawn straight onto the canvas as they come out of the database in
chunks, so a million signers never become a million objects in memory; only
reportlab's page streams (a few dozen bytes a name) are kept until the file is
written. The figures come from a delivery's log entry, so the packet e-mailed
later by the worker says exactly what the log says.
"""

import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_countries import countries
from markdown_it import MarkdownIt
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Frame, Paragraph, Spacer, Table, TableStyle
from reportlab.platypus.doctemplate import LayoutError

from outcry.actions.models import CHANNELS, SampleLetter
from outcry.actions.services import Totals
from outcry.campaigns.models import Petition
from outcry.organiser.exports import public_name
from outcry.organiser.models import Delivery
from outcry.privacy.fields import ColumnDecryptor, as_stored
from outcry.signing.models import CountDelta, NameDisplay, Signature
from outcry.signing.services import apply_count_deltas, reconcile

log = logging.getLogger(__name__)

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
FONT_DIR = Path(__file__).parent / "fonts"
# Above this many signatures the names are grouped under a heading per country.
SPLIT_BY_COUNTRY_ABOVE = 1000
CHUNK = 2000

PAGE_W, PAGE_H = A4
MARGIN = 18 * mm
FOOTER = 8 * mm
COLUMNS, GUTTER = 3, 6 * mm
NAME_SIZE, NAME_LEADING = 8.5, 11


@functools.cache
def _register_fonts() -> None:
    # DejaVu Sans covers Latin, Greek, Cyrillic, Arabic, Hebrew, Armenian, Georgian
    # and more; the standard PDF fonts cover only Latin-1.
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=14.5, spaceAfter=6)
    return {
        "body": base,
        "title": ParagraphStyle("title", base, fontName=BOLD, fontSize=20, leading=25),
        "h2": ParagraphStyle("h2", base, fontName=BOLD, fontSize=13, leading=17, spaceBefore=8),
        "count": ParagraphStyle("count", base, fontName=BOLD, fontSize=26, leading=32),
        "small": ParagraphStyle("small", base, fontSize=8.5, leading=11, textColor=colors.grey),
    }


# The figures -----------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """A petition's verified count at one moment, and how it splits by country."""

    count: int
    by_country: dict[str, int]
    as_of: datetime


def petition_figures(petition: Petition) -> Figures:
    """The verified count now: the number the page shows, the log keeps and the packet prints.

    Waiting count changes are added first, then the count and its split by
    country are read in one snapshot, so they add up exactly. Should the
    petition's count have drifted from its signatures, it is reconciled first:
    the packet never carries a number the signatures cannot prove.
    """
    apply_count_deltas()
    figures, drifted = _snapshot(petition)
    if drifted:
        log.warning("delivery: %s's count had drifted; reconciling", petition.slug)
        reconcile()
        figures, _drifted = _snapshot(petition)
    return figures


def _snapshot(petition: Petition) -> tuple[Figures, bool]:
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        as_of = timezone.now()
        by_country = dict(
            _confirmed(petition, as_of)
            .values("country")
            .annotate(n=Count("id"))
            .values_list("country", "n")
            .order_by()
        )
        shown = Petition.objects.values_list("signature_count", flat=True).get(pk=petition.pk)
        waiting = CountDelta.objects.filter(petition=petition).aggregate(n=Sum("delta"))["n"] or 0
    count = sum(by_country.values())
    return Figures(count=count, by_country=by_country, as_of=as_of), count != shown + waiting


def _confirmed(petition, as_of):
    return Signature.objects.confirmed().filter(petition=petition, confirmed_at__lte=as_of)


def country_name(code: str) -> str:
    return str(countries.name(code)) or code or _("Country not given")


def by_country_rows(by_country: dict[str, int]) -> list[tuple[str, str, int]]:
    """(code, name, count), largest first."""
    rows = [(code, country_name(code), n) for code, n in by_country.items()]
    return sorted(rows, key=lambda r: (-r[2], r[1]))


def action_snapshot(totals: Totals) -> dict:
    """An urgent action's totals as its delivery log keeps them (JSON)."""
    return {
        "countries": {code: [people, actions] for code, people, actions in totals.by_country},
        "channels": {field: n for field, _label, n in totals.channels},
        "people": totals.people,
    }


def totals_from_snapshot(snapshot: dict) -> Totals:
    channels = snapshot.get("channels", {})
    by_country = [(code, p, n) for code, (p, n) in snapshot.get("countries", {}).items()]
    return Totals(
        channels=[(field, label, channels.get(field, 0)) for field, label in CHANNELS],
        people=snapshot.get("people", 0),
        by_country=sorted(by_country, key=lambda r: (-r[2], r[0])),
        emails_through_outcry=0,
    )


# Public names ------------------------------------------------------------------


def public_names(petition: Petition, as_of, country: str | None = None):
    """Yield the public names of those counted, oldest first; anonymous signers yield None."""
    signatures = _confirmed(petition, as_of)
    if country is not None:
        signatures = signatures.filter(country=country)
    rows = signatures.order_by("confirmed_at", "id").values_list(as_stored("name"), "name_display")
    # A million names: decrypted in bulk, as the CSV export does (see ColumnDecryptor).
    decrypt = ColumnDecryptor(Signature._meta.get_field("name"))
    for name, display in rows.iterator(chunk_size=CHUNK):
        yield None if display == NameDisplay.ANONYMOUS else public_name(decrypt(name), display)


# The PDF -------------------------------------------------------------------------


class Packet:
    """A canvas that lays out flowing front matter, then names in columns, page by page."""

    def __init__(self, out, *, title: str, author: str):
        _register_fonts()
        self.title = title
        self.c = Canvas(out, pagesize=A4, pageCompression=1)
        self.c.setTitle(title)
        self.c.setAuthor(author)
        self.styles = _styles()
        self.column_width = (PAGE_W - 2 * MARGIN - (COLUMNS - 1) * GUTTER) / COLUMNS
        self.text = None  # the open text object of the current names column

    def end_page(self) -> None:
        self._close_column()
        self.c.setFont(FONT, 7.5)
        self.c.setFillColor(colors.grey)
        self.c.drawString(MARGIN, MARGIN - 2 * mm, self.title[:110])
        self.c.drawRightString(PAGE_W - MARGIN, MARGIN - 2 * mm, str(self.c.getPageNumber()))
        self.c.setFillColor(colors.black)
        self.c.showPage()

    def flow(self, story: list) -> None:
        """Lay flowables (paragraphs, tables) onto as many pages as they need."""
        story = list(story)
        frame, fresh = self._frame(), True
        while story:
            head = story.pop(0)
            if frame.add(head, self.c):
                fresh = False
                continue
            parts = frame.split(head, self.c)
            if parts and frame.add(parts[0], self.c):
                story[0:0] = parts[1:]
            elif fresh:
                raise LayoutError(f"{head!r} does not fit on a page")
            else:
                story.insert(0, head)
            self.end_page()
            frame, fresh = self._frame(), True
        self.end_page()

    def _frame(self) -> Frame:
        return Frame(
            MARGIN,
            MARGIN + FOOTER,
            PAGE_W - 2 * MARGIN,
            PAGE_H - 2 * MARGIN - FOOTER,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )

    # Names in columns: one text object per column keeps each line to its own bytes.

    def start_names(self, heading: str) -> None:
        self.c.setFont(BOLD, 13)
        self.c.drawString(MARGIN, PAGE_H - MARGIN - 13, heading)
        self.top = PAGE_H - MARGIN - 13 - 8 * mm
        self._open_column(0)
        self.section = ""

    def names_heading(self, text: str) -> None:
        """A country's heading, kept with at least its first few names."""
        self.section = text
        if self.y - 3 * NAME_LEADING < MARGIN + FOOTER:
            self._next_column()
        elif self.y < self.top:
            self._advance()  # a blank line before a new section
        self._line(text, BOLD)

    def name(self, text: str) -> None:
        lines = _wrap(text, self.column_width)
        if len(lines) > 1 and self.y - (len(lines) - 1) * NAME_LEADING < MARGIN + FOOTER:
            self._next_column()  # a wrapped name stays in one column
        for i, line in enumerate(lines):
            self._line(("  " if i else "") + line, FONT)

    def note(self, text: str) -> None:
        for line in _wrap(text, self.column_width):
            self._line(line, FONT, colors.grey)

    def end_names(self) -> None:
        self.end_page()

    def _open_column(self, column: int) -> None:
        self.column, self.y = column, self.top
        x = MARGIN + column * (self.column_width + GUTTER)
        self.text = self.c.beginText(x, self.y)
        self.text.setFont(FONT, NAME_SIZE, NAME_LEADING)
        self.font, self.color = FONT, colors.black

    def _close_column(self) -> None:
        if self.text is not None:
            self.c.drawText(self.text)
            self.text = None

    def _next_column(self) -> None:
        self._close_column()
        if self.column + 1 < COLUMNS:
            self._open_column(self.column + 1)
            return
        self.end_page()
        self.top = PAGE_H - MARGIN
        self._open_column(0)
        if self.section:
            self._line(_("%(section)s (continued)") % {"section": self.section}, BOLD)

    def _advance(self) -> None:
        self.text.moveCursor(0, NAME_LEADING)  # moveCursor's y grows downwards
        self.y -= NAME_LEADING

    def _line(self, text: str, font: str, color=colors.black) -> None:
        if self.y < MARGIN + FOOTER:
            self._next_column()
        if font != self.font:
            self.text.setFont(font, NAME_SIZE, NAME_LEADING)
            self.font = font
        if color != self.color:
            self.text.setFillColor(color)
            self.color = color
        self.text.textLine(text)
        self.y -= NAME_LEADING

    def save(self) -> None:
        self.c.save()


def _wrap(text: str, width: float) -> list[str]:
    # Most names are short: no glyph is wider than the font size, so skip measuring.
    if len(text) * NAME_SIZE <= width:
        return [text]
    lines, line = [], ""
    for char in text:
        if line and pdfmetrics.stringWidth(line + char, FONT, NAME_SIZE) > width - NAME_SIZE:
            cut = line.rfind(" ")
            if cut > 0:  # break at the last space when there is one
                lines.append(line[:cut])
                line = line[cut + 1 :]
            else:
                lines.append(line)
                line = ""
        line += char
    return [*lines, line]


def _table(rows, widths) -> Table:
    table = Table(rows, hAlign="LEFT", colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTNAME", (0, 0), (-1, 0), BOLD),
                ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f3f0eb")]),
            ]
        )
    )
    return table


_markdown = MarkdownIt("js-default")


def letter_paragraphs(text: str, style: ParagraphStyle) -> list[Paragraph]:
    """Markdown as reportlab paragraphs: bold, italics and line breaks kept, links as text."""
    paragraphs, bullet = [], ""
    marks = {"strong_open": "<b>", "strong_close": "</b>", "em_open": "<i>", "em_close": "</i>"}
    for token in _markdown.parse(text or ""):
        if token.type == "list_item_open":
            bullet = "• " if token.markup in "-*+" else f"{token.info}. "
        if token.type != "inline":
            continue
        parts = []
        for child in token.children or []:
            if child.type in ("text", "code_inline"):
                parts.append(escape(child.content))
            elif child.type in ("softbreak", "hardbreak"):
                parts.append("<br/>")
            elif child.type in marks:
                parts.append(marks[child.type])
        paragraphs.append(Paragraph(escape(bullet) + "".join(parts), style))
        bullet = ""
    return paragraphs


def _number(n: int) -> str:
    return formats.number_format(n, force_grouping=True)


def _date(when) -> str:
    return formats.date_format(timezone.localdate(when), "DATE_FORMAT")


def _addressee(target) -> list[Paragraph]:
    if target is None:
        return []
    name = ", ".join(p for p in (target.name, target.role, target.institution) if p)
    return [Paragraph(escape(_("To: %(target)s") % {"target": name}), _styles()["body"])]


def packet_language(campaign, target) -> str:
    """The target's own language where known, else the campaign's."""
    language = getattr(campaign, "language", "") or getattr(campaign, "preferred_language", "")
    return (target.language if target else "") or language or "en"


def petition_packet(out, *, petition: Petition, target, figures: Figures) -> None:
    """Write the petition's delivery packet as PDF to the file `out`."""
    with translation.override(packet_language(petition, target)):
        packet = Packet(out, title=petition.title, author=petition.organisation.name)
        s = packet.styles
        count = figures.count
        packet.flow(
            [
                Paragraph(escape(petition.title), s["title"]),
                *_addressee(target),
                Paragraph(
                    escape(_("From: %(org)s") % {"org": petition.organisation.name}), s["body"]
                ),
                Paragraph(escape(_("Date: %(date)s") % {"date": _date(figures.as_of)}), s["body"]),
                Spacer(0, 10 * mm),
                Paragraph(_number(count), s["count"]),
                Paragraph(
                    escape(
                        ngettext(
                            "verified signature",
                            "verified signatures",
                            count,
                        )
                    ),
                    s["h2"],
                ),
                Paragraph(
                    escape(
                        _(
                            "Every signature counted here was confirmed by its signer from "
                            "their own e-mail address. Names appear as each signer chose to "
                            "show them; signers who chose to stay anonymous are counted but "
                            "not named."
                        )
                    ),
                    s["small"],
                ),
                Spacer(0, 8 * mm),
                Paragraph(escape(_("The letter")), s["h2"]),
                *letter_paragraphs(petition.letter, s["body"]),
                Paragraph(
                    escape(
                        ngettext(
                            "Signed by %(count)s person.",
                            "Signed by %(count)s people.",
                            count,
                        )
                        % {"count": _number(count)}
                    ),
                    s["body"],
                ),
                Spacer(0, 6 * mm),
                Paragraph(escape(_("Signatures by country")), s["h2"]),
                _table(
                    [[_("Country"), _("Signatures")]]
                    + [[name, _number(n)] for _code, name, n in by_country_rows(figures.by_country)]
                    + [[_("Total"), _number(count)]],
                    [110 * mm, 35 * mm],
                ),
            ]
        )
        if count:
            _names(packet, petition, figures)
        packet.save()


def _names(packet: Packet, petition: Petition, figures: Figures) -> None:
    packet.start_names(_("Signers"))
    if figures.count <= SPLIT_BY_COUNTRY_ABOVE:
        sections = [(None, "")]
    else:
        sections = [(code, name) for code, name, _n in by_country_rows(figures.by_country)]
    for code, heading in sections:
        if heading:
            packet.names_heading(heading)
        anonymous = 0
        for name in public_names(petition, figures.as_of, code):
            if name is None:
                anonymous += 1
            else:
                packet.name(name)
        if anonymous:
            packet.note(
                ngettext(
                    "and %(n)s signer who chose not to be named",
                    "and %(n)s signers who chose not to be named",
                    anonymous,
                )
                % {"n": _number(anonymous)}
            )
    packet.end_names()


def action_packet(out, *, action, target, totals: Totals, as_of) -> None:
    """Write an urgent action's delivery packet (its totals, numbers only) to `out`."""
    language = packet_language(action, target)
    letter = (
        SampleLetter.objects.filter(action=action, language=language).first()
        or SampleLetter.objects.filter(action=action).first()
    )
    with translation.override(language):
        title = f"{action.number}: {action.headline}"
        packet = Packet(out, title=title, author=action.organisation.name)
        s = packet.styles
        actions = totals.actions
        story = [
            Paragraph(escape(title), s["title"]),
            *_addressee(target),
            Paragraph(escape(_("From: %(org)s") % {"org": action.organisation.name}), s["body"]),
            Paragraph(escape(_("Date: %(date)s") % {"date": _date(as_of)}), s["body"]),
            Spacer(0, 10 * mm),
            Paragraph(_number(actions), s["count"]),
            Paragraph(escape(ngettext("action taken", "actions taken", actions)), s["h2"]),
            Paragraph(
                escape(
                    ngettext("by %(n)s person", "by %(n)s people", totals.people)
                    % {"n": _number(totals.people)}
                ),
                s["body"],
            ),
            Spacer(0, 6 * mm),
            _table(
                [[_("Channel"), _("Total")]]
                + [[str(label), _number(n)] for _f, label, n in totals.channels],
                [110 * mm, 35 * mm],
            ),
            Spacer(0, 6 * mm),
            Paragraph(escape(_("By country")), s["h2"]),
            _table(
                [[_("Country"), _("People"), _("Actions")]]
                + [[country_name(c), _number(p), _number(n)] for c, p, n in totals.by_country],
                [100 * mm, 30 * mm, 30 * mm],
            ),
        ]
        if letter is not None:
            story += [
                Spacer(0, 8 * mm),
                Paragraph(escape(_("The letter activists sent")), s["h2"]),
                Paragraph(escape(letter.subject), s["body"]),
                *letter_paragraphs(letter.body, s["body"]),
            ]
        packet.flow(story)
        packet.save()


# A logged delivery's packet -------------------------------------------------------


def write_delivery_packet(out, delivery) -> None:
    """The packet exactly as logged: its count, its split and its date, whenever it is built."""
    if delivery.petition_id:
        figures = Figures(
            count=delivery.count, by_country=delivery.by_country, as_of=delivery.created_at
        )
        petition_packet(out, petition=delivery.petition, target=delivery.target, figures=figures)
    else:
        action_packet(
            out,
            action=delivery.action,
            target=delivery.target,
            totals=totals_from_snapshot(delivery.by_country),
            as_of=delivery.created_at,
        )


def packet_filename(campaign, when) -> str:
    name = getattr(campaign, "slug", None) or campaign.number.replace(" ", "-").replace(".", "-")
    return f"{name}-delivery-{timezone.localdate(when).isoformat()}.pdf"


def delivery_attachment(spec: dict) -> tuple[str, bytes, str]:
    """The outbox's builder for {"kind": "delivery_packet", "delivery": id}: built at send time."""
    delivery = Delivery.objects.select_related(
        "petition__organisation", "action__organisation", "target"
    ).get(pk=spec["delivery"])
    buffer = BytesIO()
    write_delivery_packet(buffer, delivery)
    campaign = delivery.petition or delivery.action
    return packet_filename(campaign, delivery.created_at), buffer.getvalue(), "application/pdf"
