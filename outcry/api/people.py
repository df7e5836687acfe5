"""OSDI people: the organisation's supporters, one per mailbox, and the entry point."""

from django.http import Http404
from ninja import Query, Router

from outcry.api import auth, render
from outcry.api.hal import CURIES, collection, filter_query, link, parse_filter
from outcry.api.petitions import page_of, signature_resources, signatures_of
from outcry.api.schemas import Entry, PageParams, Person, PersonPage, SignaturePage
from outcry.signing.models import Signature

router = Router(auth=auth.read, by_alias=True, tags=["people"])
# Filters on a person apply to their signatures taken together.
FIELDS = {"modified_date": "modified", "created_date": "created"}


@router.get("", response=Entry, summary="The API entry point")
def entry(request):
    links = {
        rel: link(path)
        for rel, path in (
            ("self", ""),
            ("osdi:petitions", "petitions"),
            ("osdi:signatures", "signatures"),
            ("osdi:advocacy_campaigns", "advocacy_campaigns"),
            ("osdi:outreaches", "outreaches"),
            ("osdi:people", "people"),
        )
    }
    return {
        "motd": f"Outcry API for {request.auth.organisation.name}",
        "vendor_name": "Outcry",
        "product_name": "Outcry",
        "osdi_version": "1.0",
        "_links": {**links, "curies": CURIES},
    }


def person_resources(rows) -> list[dict]:
    latest = Signature.objects.in_bulk([row["latest"] for row in rows])
    return [render.person_resource(row, latest[row["latest"]]) for row in rows]


@router.get("people", response=PersonPage, summary="The organisation's supporters")
def person_list(request, params: Query[PageParams]):
    people = render.people(request.auth.organisation)
    return collection(
        path="people",
        rel="osdi:people",
        queryset=people.filter(parse_filter(params.filter, FIELDS)),
        page=params.page,
        per_page=params.per_page,
        render=person_resources,
        query=filter_query(params.filter),
    )


def _person_key(request, pk: int):
    """The mailbox a person id stands for: the one of their first confirmed signature."""
    first = (
        render.people_signatures(request.auth.organisation)
        .filter(pk=pk)
        .values_list(render.PERSON_KEY, flat=True)
        .first()
    )
    row = (
        render.people(request.auth.organisation).filter(**{render.PERSON_KEY: first}).first()
        if first is not None
        else None
    )
    # Only the person's first signature names them: any later one is no person's id.
    if row is None or row["first"] != pk:
        raise Http404
    return row


@router.get("people/{pk}", response=Person, summary="One supporter")
def person_detail(request, pk: int):
    row = _person_key(request, pk)
    return render.person_resource(row, Signature.objects.get(pk=row["latest"]))


@router.get("people/{pk}/signatures", response=SignaturePage, summary="A supporter's signatures")
def person_signatures(request, pk: int, params: Query[PageParams]):
    org = request.auth.organisation
    row = _person_key(request, pk)
    return page_of(
        path=f"people/{pk}/signatures",
        rel="osdi:signatures",
        queryset=signatures_of(org).filter(**{render.PERSON_KEY: row[render.PERSON_KEY]}),
        params=params,
        render_rows=lambda rows: signature_resources(org, rows),
    )
