"""HAL+JSON the OSDI way: identifiers, links, collections with page/per_page, and the
small OData subset OSDI uses for `filter=modified_date gt '...'`."""

import math
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from urllib.parse import quote

from django.conf import settings
from django.db.models import Q
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

ORIGIN = "Outcry"
CURIES = [{"name": "osdi", "href": "https://osdi.org/docs/v1/{rel}", "templated": True}]
PER_PAGE, MAX_PER_PAGE = 25, 100


class BadFilter(ValueError):
    """A `filter` the API cannot read; its message says what would work."""


def identifier(kind: str, pk) -> str:
    """`outcry:12` for a resource's own kind; other kinds say theirs (`outcry:report-12`)."""
    return f"outcry:{kind}-{pk}" if kind else f"outcry:{pk}"


def url(path: str) -> str:
    return settings.SITE_URL + "/api/v1/" + path


def link(path: str) -> dict:
    return {"href": url(path)}


def date(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


# The grammar, for the OpenAPI schema; parse_filter says what is wrong in detail.
_WHEN = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})"
_ONE = rf"(modified_date|created_date) (gt|lt|eq) '{_WHEN}'"
FILTER_PATTERN = rf"^{_ONE}( and {_ONE})*$"
_CLAUSE = re.compile(
    r"^\s*(?P<field>modified_date|created_date)\s+(?P<op>gt|lt|eq)\s+'(?P<value>[^']+)'\s*$"
)
_LOOKUP = {"gt": "gt", "lt": "lt", "eq": "exact"}


def filter_help(text: str) -> str:
    return _(
        "Cannot read the filter %(clause)s. Write, for example: "
        "modified_date gt '2026-01-01T00:00:00Z' (fields: modified_date, "
        "created_date; operators: gt, lt, eq; join clauses with and)."
    ) % {"clause": repr(text)}


def parse_filter(text: str | None, fields: dict[str, str]) -> Q:
    """`modified_date gt '2026-01-01T00:00:00Z' and created_date lt '...'` as a Q.

    `fields` maps OSDI's field names to the model's columns.
    """
    q = Q()
    if not text:
        return q
    for clause in re.split(r"\s+and\s+", text.strip()):
        match = _CLAUSE.match(clause)
        if not match:
            raise BadFilter(filter_help(clause))
        try:
            when = parse_datetime(match["value"])
        except ValueError:  # well formed, but no such day or hour
            when = None
        if when is None or when.tzinfo is None:
            raise BadFilter(
                _("%(value)s is not a date and time with a time zone, like 2026-01-01T00:00:00Z.")
                % {"value": repr(match["value"])}
            )
        q &= Q(**{f"{fields[match['field']]}__{_LOOKUP[match['op']]}": when})
    return q


def filter_query(text: str | None) -> str:
    """The filter again, for the next and previous page links."""
    return f"&filter={quote(text)}" if text else ""


def collection(
    *,
    path: str,
    rel: str,
    queryset,
    page: int,
    per_page: int,
    render: Callable[[Iterable], list[dict]],
    query: str = "",
) -> dict:
    """One page of a collection: totals, next/previous links, and the embedded resources.

    `render` turns the page's rows into resources in one go, so it can fetch what
    they share (people, targets) in a few queries rather than one per row.
    """
    total = queryset.count()
    pages = max(1, math.ceil(total / per_page))
    start = (page - 1) * per_page
    items = render(list(queryset[start : start + per_page])) if start < total else []

    def page_link(n):
        return link(f"{path}?page={n}&per_page={per_page}{query}")

    links = {"self": page_link(page), "curies": CURIES}
    if page < pages:
        links["next"] = page_link(page + 1)
    if 1 < page <= pages:
        links["previous"] = page_link(page - 1)
    links[rel] = [item["_links"]["self"] for item in items]
    return {
        "total_pages": pages,
        "per_page": per_page,
        "page": page,
        "total_records": total,
        "_links": links,
        "_embedded": {rel: items},
    }
