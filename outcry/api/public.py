"""Public figures without a token, as the UK petitions service offers them: campaign
lists, one campaign with counts by country, and a light count. No personal data:
no names at all, only counts. Cacheable for a few seconds by any cache."""

import time
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from ninja import Query, Router, Schema

from outcry.actions.models import UrgentAction
from outcry.actions.services import totals
from outcry.api.schemas import PublicPageParams
from outcry.campaigns.models import Petition
from outcry.signing.models import Signature
from outcry.signing.services import absolute

router = Router(tags=["public"])
# Counts are at most 10 s old at the source (invariant 4); a cache may add a few
# seconds, and serve a stale copy while it fetches a fresh one.
MAX_AGE, STALE = 5, 30


def cacheable(response: HttpResponse) -> None:
    patch_cache_control(response, public=True, max_age=MAX_AGE, stale_while_revalidate=STALE)


class Count_(Schema):
    slug: str
    signature_count: int
    goal: int
    open: bool


class CountryCount(Schema):
    country: str
    signature_count: int


class PetitionSummary(Schema):
    slug: str
    title: str
    goal_text: str
    url: str
    signature_count: int
    goal: int
    open: bool
    published_date: datetime
    deadline: datetime | None
    closed_date: datetime | None
    target: str


class PetitionDetail(PetitionSummary):
    signatures_by_country: list[CountryCount]


class PetitionList(Schema):
    total_records: int
    page: int
    per_page: int
    petitions: list[PetitionSummary]


class ActionCountry(Schema):
    country: str
    people: int
    actions: int


class ActionSummary(Schema):
    case_number: str
    serial: int
    year: int
    headline: str
    country: str
    status: str
    url: str
    published_date: datetime
    deadline: str | None


class ActionDetail(ActionSummary):
    people: int
    actions: int
    actions_by_channel: dict[str, int]
    by_country: list[ActionCountry]


class ActionList(Schema):
    total_records: int
    page: int
    per_page: int
    actions: list[ActionSummary]


def count_payload(petition: Petition) -> dict:
    """The light count, also served at /petitions/<slug>/count.json."""
    return {
        "slug": petition.slug,
        "signature_count": petition.signature_count,
        "goal": petition.goal_count,
        "open": petition.is_open(),
    }


def petition_summary(p: Petition) -> dict:
    return {
        **count_payload(p),
        "title": p.title,
        "goal_text": p.goal,
        "url": absolute(p.get_absolute_url()),
        "published_date": p.published_at,
        "deadline": p.deadline,
        "closed_date": p.closed_at,
        "target": f"{p.target.name}, {p.target.role}",
    }


def listed_petitions():
    return Petition.objects.published().filter(archived_at__isnull=True).select_related("target")


@router.get("petitions", response=PetitionList, summary="Published petitions, newest first")
def public_petitions(request, response: HttpResponse, params: Query[PublicPageParams]):
    cacheable(response)
    queryset = listed_petitions()
    start = (params.page - 1) * params.per_page
    return {
        "total_records": queryset.count(),
        "page": params.page,
        "per_page": params.per_page,
        "petitions": [petition_summary(p) for p in queryset[start : start + params.per_page]],
    }


def signatures_by_country(petition: Petition) -> list[dict]:
    """Confirmed signatures per country, computed at most once per MAX_AGE per petition.

    The GROUP BY reads every confirmed signature of the petition, which is slow on
    a big one; the answer is public and may be as old as the JSON's max-age, so it
    is shared through the cache by every app server. When it goes stale one
    request recomputes it while the others serve the stale copy, so a popular
    petition never runs the query in many requests at once. Its age is kept with
    it and judged by this process's clock, not the cache's expiry.
    """
    key = f"api:public:by-country:{petition.pk}"
    now = time.time()
    cached = cache.get(key)
    if cached is not None and now - cached[0] < MAX_AGE:
        return cached[1]
    if cached is not None and not cache.add(f"{key}:lock", 1, timeout=MAX_AGE + STALE):
        return cached[1]  # another request is recomputing it
    try:
        rows = [
            {"country": row["country"], "signature_count": row["n"]}
            for row in Signature.objects.confirmed()
            .filter(petition=petition)
            .values("country")
            .annotate(n=Count("id"))
            .order_by("-n", "country")
        ]
        cache.set(key, (now, rows), timeout=MAX_AGE + STALE)
    finally:
        cache.delete(f"{key}:lock")
    return rows


def published(slug: str) -> Petition:
    return get_object_or_404(Petition.objects.published().select_related("target"), slug=slug)


@router.get(
    "petitions/{slug}", response=PetitionDetail, summary="One petition, with counts by country"
)
def public_petition(request, response: HttpResponse, slug: str):
    cacheable(response)
    p = published(slug)
    return {**petition_summary(p), "signatures_by_country": signatures_by_country(p)}


@router.get("petitions/{slug}/count", response=Count_, summary="A petition's count, and no more")
def public_petition_count(request, response: HttpResponse, slug: str):
    cacheable(response)
    return count_payload(published(slug))


def action_summary(a: UrgentAction) -> dict:
    return {
        "case_number": a.number,
        "serial": a.serial,
        "year": a.year,
        "headline": a.headline,
        "country": a.country.code,
        "status": a.status,
        "url": absolute(a.get_absolute_url()),
        "published_date": a.published_at,
        "deadline": a.deadline.isoformat() if a.deadline else None,
    }


@router.get("actions", response=ActionList, summary="Published urgent actions, newest first")
def public_actions(request, response: HttpResponse, params: Query[PublicPageParams]):
    cacheable(response)
    queryset = UrgentAction.objects.published().filter(archived_at__isnull=True)
    start = (params.page - 1) * params.per_page
    return {
        "total_records": queryset.count(),
        "page": params.page,
        "per_page": params.per_page,
        "actions": [action_summary(a) for a in queryset[start : start + params.per_page]],
    }


@router.get(
    "actions/{serial}/{year}",
    response=ActionDetail,
    summary="One urgent action, with what activists did, by channel and country",
)
def public_action(request, response: HttpResponse, serial: int, year: int):
    cacheable(response)
    a = get_object_or_404(UrgentAction.objects.published(), serial=serial, year=year)
    t = totals(a)
    return {
        **action_summary(a),
        "people": t.people,
        "actions": t.actions,
        "actions_by_channel": {field: n for field, _label, n in t.channels},
        "by_country": [
            {"country": code, "people": people, "actions": n} for code, people, n in t.by_country
        ],
    }
