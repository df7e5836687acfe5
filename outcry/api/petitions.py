"""OSDI petitions and signatures, and the record signature helper."""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_countries import countries
from ninja import Query, Router
from ninja.errors import HttpError
from ninja.responses import Status

from outcry.api import auth, render
from outcry.api.hal import (
    CURIES,
    ORIGIN,
    collection,
    date,
    filter_query,
    identifier,
    link,
    parse_filter,
)
from outcry.api.schemas import (
    Accepted,
    PageParams,
    Petition,
    PetitionPage,
    Problem,
    Signature,
    SignatureIn,
    SignaturePage,
)
from outcry.campaigns.models import Petition as PetitionModel
from outcry.campaigns.templatetags.outcry import markdown
from outcry.signing import services as signing
from outcry.signing.models import NameDisplay
from outcry.signing.models import Signature as SignatureModel
from outcry.signing.services import PetitionClosed

router = Router(auth=auth.read, by_alias=True, tags=["petitions"])
FIELDS = {"modified_date": "modified_at", "created_date": "created_at"}


def page_of(*, path, rel, queryset, params: PageParams, render_rows, fields=FIELDS):
    return collection(
        path=path,
        rel=rel,
        queryset=queryset.filter(parse_filter(params.filter, fields)),
        page=params.page,
        per_page=params.per_page,
        render=render_rows,
        query=filter_query(params.filter),
    )


def petitions_of(organisation):
    return PetitionModel.objects.filter(organisation=organisation).select_related("target")


def petition_resource(p: PetitionModel) -> dict:
    return {
        "identifiers": [identifier("", p.pk)],
        "origin_system": ORIGIN,
        "created_date": date(p.created_at),
        "modified_date": date(p.modified_at),
        "title": p.title,
        "summary": p.goal,
        "description": markdown(p.body),
        "petition_text": markdown(p.letter),
        "browser_url": signing.absolute(p.get_absolute_url()),
        "featured_image_url": render.image_url(p.image),
        "total_signatures": p.signature_count,
        "target": [render.target(p.target)],
        "outcry:slug": p.slug,
        "outcry:language": p.language,
        "outcry:open": p.is_open(),
        "outcry:deadline": date(p.deadline),
        "outcry:closed_date": date(p.closed_at),
        "_links": {
            "self": link(f"petitions/{p.pk}"),
            "osdi:signatures": link(f"petitions/{p.pk}/signatures"),
            "osdi:record_signature_helper": link(f"petitions/{p.pk}/signatures"),
            "curies": CURIES,
        },
    }


def signature_resources(organisation, signatures) -> list[dict]:
    persons = render.person_ids(organisation, signatures)
    docs = []
    for s in signatures:
        links = {
            "self": link(f"signatures/{s.pk}"),
            "osdi:petition": link(f"petitions/{s.petition_id}"),
        }
        if s.pk in persons:
            links["osdi:person"] = link(f"people/{persons[s.pk]}")
        docs.append(
            {
                "identifiers": [identifier("", s.pk)],
                "origin_system": ORIGIN,
                "created_date": date(s.created_at),
                "modified_date": date(s.modified_at),
                "outcry:state": s.state,
                "outcry:confirmed_date": date(s.confirmed_at),
                "outcry:name_display": s.name_display,
                "outcry:source": s.utm_source or s.referrer,
                "_links": links,
                "_embedded": {"osdi:person": render.signer(s)},
            }
        )
    return docs


def signatures_of(organisation):
    return SignatureModel.objects.filter(petition__organisation=organisation).order_by("id")


@router.get("petitions", response=PetitionPage, summary="The organisation's petitions")
def petition_list(request, params: Query[PageParams]):
    return page_of(
        path="petitions",
        rel="osdi:petitions",
        queryset=petitions_of(request.auth.organisation).order_by("id"),
        params=params,
        render_rows=lambda rows: [petition_resource(p) for p in rows],
    )


@router.get("petitions/{pk}", response=Petition, summary="One petition")
def petition_detail(request, pk: int):
    return petition_resource(get_object_or_404(petitions_of(request.auth.organisation), pk=pk))


@router.get("petitions/{pk}/signatures", response=SignaturePage, summary="A petition's signatures")
def petition_signatures(request, pk: int, params: Query[PageParams]):
    org = request.auth.organisation
    petition = get_object_or_404(petitions_of(org), pk=pk)
    return page_of(
        path=f"petitions/{pk}/signatures",
        rel="osdi:signatures",
        queryset=signatures_of(org).filter(petition=petition),
        params=params,
        render_rows=lambda rows: signature_resources(org, rows),
    )


@router.get("signatures", response=SignaturePage, summary="Every signature of the organisation")
def signature_list(request, params: Query[PageParams]):
    org = request.auth.organisation
    return page_of(
        path="signatures",
        rel="osdi:signatures",
        queryset=signatures_of(org),
        params=params,
        render_rows=lambda rows: signature_resources(org, rows),
    )


@router.get("signatures/{pk}", response=Signature, summary="One signature")
def signature_detail(request, pk: int):
    org = request.auth.organisation
    signature = get_object_or_404(signatures_of(org), pk=pk)
    return signature_resources(org, [signature])[0]


def _signer(person) -> dict:
    """The sign form's fields from an OSDI person, or a 422 naming what to fix."""
    name = f"{person.given_name} {person.family_name}".strip()
    email = person.email_addresses[0].address.strip()
    country = person.postal_addresses[0].country.strip().upper()
    postcode = (person.postal_addresses[0].postal_code or "").strip()
    language = next(iter(person.languages_spoken), "")
    problems = []
    if not name:
        problems.append(_("Give the signer's given_name or family_name."))
    try:
        validate_email(email)
    except DjangoValidationError:
        problems.append(_("%(email)s is not an e-mail address.") % {"email": repr(email)})
    if country not in countries:
        problems.append(
            _("%(country)s is not a country code like PE or ES.") % {"country": repr(country)}
        )
    if len(postcode) > 16:
        problems.append(_("A postal code has at most 16 characters."))
    if language and language not in dict(settings.LANGUAGES):
        problems.append(
            _("Outcry writes to signers in %(languages)s, not %(language)s.")
            % {"languages": ", ".join(dict(settings.LANGUAGES)), "language": repr(language)}
        )
    if problems:
        raise HttpError(422, " ".join(problems))
    return {
        "name": name,
        "email": email,
        "country": country,
        "postcode": postcode,
        "language": language,
    }


@router.post(
    "petitions/{pk}/signatures",
    auth=auth.write,
    response={202: Accepted, 409: Problem},
    summary="Record a signature (OSDI record signature helper)",
    description=(
        "The signer is e-mailed a confirmation link, as when they sign on the petition's "
        "page; the signature counts once they confirm. Whether the address had signed "
        "before is not told."
    ),
)
def record_signature(request, pk: int, body: SignatureIn):
    petition = get_object_or_404(petitions_of(request.auth.organisation), pk=pk)
    signer = _signer(body.person)
    if body.name_display not in NameDisplay.values:
        raise HttpError(
            422,
            _("outcry:name_display is one of %(choices)s.")
            % {"choices": ", ".join(NameDisplay.values)},
        )
    try:
        signing.sign(
            petition=petition,
            name=signer["name"][:100],
            email=signer["email"],
            country=signer["country"],
            postcode=signer["postcode"],
            name_display=body.name_display,
            wants_updates=body.wants_updates,
            language=signer["language"] or petition.language,
            utm_source="api",
        )
    except PetitionClosed:
        raise HttpError(409, _("This petition is not taking signatures.")) from None
    return Status(
        202,
        {
            "outcry:status": "awaiting_confirmation",
            "message": _(
                "Thank you. The signer has been e-mailed a link; the signature counts once "
                "they confirm their address."
            ),
            "_links": {"osdi:petition": link(f"petitions/{pk}")},
        },
    )
