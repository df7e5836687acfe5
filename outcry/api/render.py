"""Outcry's rows as OSDI resources. Each function takes rows already fetched."""

from django.conf import settings
from django.db.models import Max, Min

from outcry.api.hal import ORIGIN, date, identifier, link
from outcry.campaigns.models import Target
from outcry.signing.models import Signature

# People are told apart by their mailbox: the keyed digest of its canonical form
# (outcry.privacy.digest), as the address itself is encrypted. Anonymised
# signatures have none and are nobody's.
PERSON_KEY = "email_digest"


def image_url(field) -> str | None:
    return settings.SITE_URL + field.url if field else None


def split_name(name: str) -> tuple[str, str]:
    given, _, family = name.strip().partition(" ")
    return given, family.strip()


def target(t: Target, group: str | None = None) -> dict:
    given, family = split_name(t.name)
    doc = {
        "identifiers": [identifier("", t.pk)],
        "title": t.role,
        "organization": t.institution,
        "given_name": given,
        "family_name": family,
        "outcry:country": t.country.code or "",
        "outcry:salutations": t.salutations,
        "outcry:preferred_language": t.language,
        "outcry:social_profiles": [
            {k: str(v) for k, v in p.items() if k in ("network", "handle", "url")} for p in t.social
        ],
    }
    if group:
        doc["outcry:group"] = group
    return doc


def person(
    *,
    name: str,
    email: str,
    country: str,
    postcode: str = "",
    languages=(),
    wants_updates: bool = False,
) -> dict:
    given, family = split_name(name)
    return {
        "given_name": given,
        "family_name": family,
        "email_addresses": [{"address": email, "primary": True}] if email else [],
        "postal_addresses": [
            {"country": country, "postal_code": postcode or None, "primary": True}
        ],
        "languages_spoken": [lang for lang in languages if lang],
        "outcry:wants_updates": wants_updates,
    }


def signer(s: Signature) -> dict:
    return person(
        name=s.name,
        email=s.email,
        country=s.country.code,
        postcode=s.postcode,
        languages=[s.language],
        wants_updates=s.wants_updates,
    )


def people_signatures(organisation):
    """The organisation's signers whose mailbox answered: the people of the API."""
    return Signature.objects.filter(
        petition__organisation=organisation,
        state=Signature.State.CONFIRMED,
        email_digest__isnull=False,
    )


def people(organisation):
    """One row per person: their first signature's id names them, the latest speaks for them."""
    return (
        people_signatures(organisation)
        .values(PERSON_KEY)
        .annotate(
            first=Min("id"),
            latest=Max("id"),
            created=Min("created_at"),
            modified=Max("modified_at"),
        )
        .order_by("first")
    )


def person_ids(organisation, signatures) -> dict[int, int]:
    """For signatures of confirmed people, signature id → person id, in one query."""
    keys = {getattr(s, PERSON_KEY) for s in signatures if s.state == Signature.State.CONFIRMED}
    firsts = dict(
        people_signatures(organisation)
        .filter(**{f"{PERSON_KEY}__in": keys})
        .values(PERSON_KEY)
        .annotate(first=Min("id"))
        .values_list(PERSON_KEY, "first")
        .order_by()
    )
    return {
        s.pk: firsts[getattr(s, PERSON_KEY)]
        for s in signatures
        if getattr(s, PERSON_KEY) in firsts and s.state == Signature.State.CONFIRMED
    }


def person_resource(row: dict, latest: Signature) -> dict:
    pid = row["first"]
    return {
        "identifiers": [identifier("", pid)],
        "origin_system": ORIGIN,
        "created_date": date(row["created"]),
        "modified_date": date(row["modified"]),
        **signer(latest),
        "_links": {
            "self": link(f"people/{pid}"),
            "osdi:signatures": link(f"people/{pid}/signatures"),
        },
    }
