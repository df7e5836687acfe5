"""Charts a person reads at a glance: inline SVG drawn on the server.

No script and nothing fetched: each chart is an `<svg role="img">` named by its
own <title> and summed up by its <desc>, scaled by its viewBox, and the page
shows the same rows as a plain table beside it (templates/organiser/stats/_chart.html).
Colours are drawn as attributes, so a chart reads the same without the style sheet.
"""

from dataclasses import dataclass, field

from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

BAR = "#a4161a"  # the brand red: 7.6:1 on white, well above the 3:1 a graphic needs
INK = "#1b1b1b"
GRID = "#d6d0c8"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif"


@dataclass
class Row:
    label: str
    value: int
    tick: str = ""  # the short axis label of a column, if it gets one


@dataclass
class Chart:
    id: str
    title: str
    rows: list[Row]
    label_heading: str
    value_heading: str
    # Rows of the table that are not drawn (signatures before the chart's window),
    # so the table still adds up to the headline.
    more: list[Row] = field(default_factory=list)
    note: str = ""
    svg: SafeString = field(default=mark_safe(""))  # noqa: S308  (empty)

    @property
    def total(self) -> int:
        return sum(r.value for r in self.rows) + sum(r.value for r in self.more)

    @property
    def desc(self) -> str:
        if not any(r.value for r in self.rows):
            return _("Nothing to show yet: every value is zero.")
        top = max(self.rows, key=lambda r: r.value)
        return _("%(n)s bars. Highest: %(label)s, %(value)s. Total: %(total)s.") % {
            "n": len(self.rows),
            "label": top.label,
            "value": fmt(top.value),
            "total": fmt(self.total),
        }


def fmt(n: int) -> str:
    return number_format(n, force_grouping=True)


def at(x: float) -> str:
    """A coordinate: one decimal is finer than any screen needs."""
    return f"{x:.1f}"


def nice_ceiling(n: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least n (and at least 1)."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= n:
                return m * step
        step *= 10


def _open_svg(chart: Chart, kind: str, width: int, height: int) -> SafeString:
    return format_html(
        '<svg class="chart-svg chart-{kind}" role="img" aria-labelledby="{id}-t {id}-d" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="{font}" '
        'font-size="13" fill="{ink}" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>',
        kind=kind,
        id=chart.id,
        w=width,
        h=height,
        font=FONT,
        ink=INK,
        title=chart.title,
        desc=chart.desc,
    )


def _bar(x: float, y: float, w: float, h: float, row: Row) -> SafeString:
    # Each bar's own <title> is the tooltip a mouse user gets on hover.
    return format_html(
        '<rect class="bar" x="{}" y="{}" width="{}" height="{}" fill="{}">'
        "<title>{}: {}</title></rect>",
        at(x),
        at(y),
        at(w),
        at(h),
        BAR,
        row.label,
        fmt(row.value),
    )


def column_chart(chart: Chart) -> Chart:
    """Vertical columns over time, one per row, oldest on the left."""
    width, height = 440, 190
    left, right, top, bottom = 40, 20, 10, 24  # room on the right for the last tick
    plot_w, plot_h = width - left - right, height - top - bottom
    ceiling = nice_ceiling(max((r.value for r in chart.rows), default=0))
    step = plot_w / max(len(chart.rows), 1)
    gap = step * 0.2 if step >= 4 else 0
    parts = [_open_svg(chart, "columns", width, height)]
    # Grid lines at zero, the top and, when it is a whole number, the middle.
    for value in (0, ceiling // 2, ceiling) if ceiling % 2 == 0 else (0, ceiling):
        y = at(top + plot_h - plot_h * value / ceiling)
        parts.append(
            format_html(
                '<line x1="{l}" x2="{r}" y1="{y}" y2="{y}" stroke="{c}" />'
                '<text x="{tx}" y="{y}" dy="4" text-anchor="end">{v}</text>',
                l=left,
                r=width - right,
                y=y,
                c=GRID,
                tx=left - 6,
                v=fmt(value),
            )
        )
    for i, row in enumerate(chart.rows):
        h = plot_h * row.value / ceiling
        x = left + i * step
        parts.append(_bar(x + gap / 2, top + plot_h - h, step - gap, h, row))
        if row.tick:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle">{}</text>',
                    at(x + step / 2),
                    height - 6,
                    row.tick,
                )
            )
    if not any(r.value for r in chart.rows):
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle">{}</text>',
                at(left + plot_w / 2),
                at(top + plot_h / 2),
                _("None in this period"),
            )
        )
    parts.append(mark_safe("</svg>"))  # noqa: S308  (a constant)
    chart.svg = mark_safe("".join(parts))  # noqa: S308  (every part is escaped above)
    return chart


def bar_chart(chart: Chart) -> Chart:
    """Horizontal bars, largest first, each with its label and its number."""
    width, label_w, value_w, row_h, bar_h = 420, 170, 56, 26, 18
    height = max(len(chart.rows), 1) * row_h + 4
    largest = max((r.value for r in chart.rows), default=0) or 1
    plot_w = width - label_w - value_w
    parts = [_open_svg(chart, "bars", width, height)]
    for i, row in enumerate(chart.rows):
        y = 2 + i * row_h
        w = plot_w * row.value / largest
        label = row.label if len(row.label) <= 20 else row.label[:19] + "…"
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end">{}</text>',
                label_w - 8,
                y + bar_h - 4,
                label,
            )
        )
        parts.append(_bar(label_w, y, w, bar_h, row))
        parts.append(
            format_html(
                '<text x="{}" y="{}">{}</text>', at(label_w + w + 6), y + bar_h - 4, fmt(row.value)
            )
        )
    parts.append(mark_safe("</svg>"))  # noqa: S308  (a constant)
    chart.svg = mark_safe("".join(parts))  # noqa: S308  (every part is escaped above)
    return chart
