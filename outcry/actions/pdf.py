"""The totals report for officials as a PDF: numbers about a case, never a person."""

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_countries import countries
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle


def _table(rows):
    table = Table(rows, hAlign="LEFT", colWidths=[100 * mm, 30 * mm, 30 * mm][: len(rows[0])])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f3f0eb")]),
            ]
        )
    )
    return table


def totals_pdf(action, totals) -> bytes:
    styles = getSampleStyleSheet()
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{action.number}: {action.headline}",
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
    )
    date = timezone.localdate().strftime("%Y-%m-%d")
    story = [
        Paragraph(f"{action.number}: {action.headline}", styles["Title"]),
        Paragraph(
            _("Actions taken by activists, as of %(date)s") % {"date": date}, styles["Normal"]
        ),
        Spacer(0, 6 * mm),
        Paragraph(
            ngettext(
                "%(people)d person took action", "%(people)d people took action", totals.people
            )
            % {"people": totals.people}
            + ", "
            + ngettext("%(actions)d action in all.", "%(actions)d actions in all.", totals.actions)
            % {"actions": totals.actions},
            styles["Heading2"],
        ),
        _table(
            [[_("Channel"), _("Total")]]
            + [[str(label), str(n)] for _field, label, n in totals.channels]
        ),
        Spacer(0, 6 * mm),
        Paragraph(_("By country"), styles["Heading2"]),
        _table(
            [[_("Country"), _("People"), _("Actions")]]
            + [
                [str(countries.name(code)) or code, str(p), str(n)]
                for code, p, n in totals.by_country
            ]
        ),
    ]
    doc.build(story)
    return buffer.getvalue()
