"""The shapes of the API's documents, for validation and the OpenAPI schema.

OSDI's HAL names (`_links`, `_embedded`, `osdi:…`) and Outcry's own `outcry:…`
fields are not Python names, so fields carry them as aliases.
"""

from datetime import datetime

from ninja import Field, Schema
from pydantic import ConfigDict

from outcry.api.hal import FILTER_PATTERN


class Link(Schema):
    href: str
    name: str | None = None
    templated: bool | None = None


Links = dict[str, Link | list[Link]]


class Doc(Schema):
    model_config = ConfigDict(populate_by_name=True)


class Problem(Doc):
    """An error, as RFC 9457 describes it."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict] | None = None


class Page(Doc):
    total_pages: int
    per_page: int
    page: int
    total_records: int
    links: Links = Field(alias="_links")


class EmailAddress(Doc):
    address: str
    primary: bool = True


class PostalAddress(Doc):
    country: str
    postal_code: str | None = None
    primary: bool = True


class PersonIn(Doc):
    given_name: str = Field("", max_length=100)
    family_name: str = Field("", max_length=100)
    email_addresses: list[EmailAddress] = Field(min_length=1, max_length=1)
    postal_addresses: list[PostalAddress] = Field(min_length=1, max_length=1)
    languages_spoken: list[str] = Field(default_factory=list, max_length=5)


class Person(Doc):
    identifiers: list[str] | None = None
    origin_system: str | None = None
    created_date: datetime | None = None
    modified_date: datetime | None = None
    given_name: str
    family_name: str
    email_addresses: list[EmailAddress]
    postal_addresses: list[PostalAddress]
    languages_spoken: list[str]
    wants_updates: bool = Field(alias="outcry:wants_updates")
    links: Links | None = Field(None, alias="_links")


class Target(Doc):
    identifiers: list[str]
    title: str
    organization: str
    given_name: str
    family_name: str
    country: str = Field(alias="outcry:country")
    salutations: dict[str, str] = Field(alias="outcry:salutations")
    preferred_language: str = Field(alias="outcry:preferred_language")
    social_profiles: list[dict[str, str]] = Field(alias="outcry:social_profiles")
    group: str | None = Field(None, alias="outcry:group")


class Petition(Doc):
    identifiers: list[str]
    origin_system: str
    created_date: datetime
    modified_date: datetime
    title: str
    summary: str
    description: str
    petition_text: str
    browser_url: str
    featured_image_url: str | None
    total_signatures: int
    target: list[Target]
    slug: str = Field(alias="outcry:slug")
    language: str = Field(alias="outcry:language")
    open: bool = Field(alias="outcry:open")
    deadline: datetime | None = Field(alias="outcry:deadline")
    closed_date: datetime | None = Field(alias="outcry:closed_date")
    links: Links = Field(alias="_links")


class Signature(Doc):
    identifiers: list[str]
    origin_system: str
    created_date: datetime
    modified_date: datetime
    state: str = Field(alias="outcry:state")
    confirmed_date: datetime | None = Field(alias="outcry:confirmed_date")
    name_display: str = Field(alias="outcry:name_display")
    source: str = Field(alias="outcry:source")
    links: Links = Field(alias="_links")
    embedded: dict[str, Person] = Field(alias="_embedded")


class AdvocacyCampaign(Doc):
    identifiers: list[str]
    origin_system: str
    created_date: datetime
    modified_date: datetime
    title: str
    description: str
    browser_url: str
    featured_image_url: str | None
    type: str
    template: str
    targets: list[Target]
    total_outreaches: int
    case_number: str = Field(alias="outcry:case_number")
    status: str = Field(alias="outcry:status")
    country: str = Field(alias="outcry:country")
    people_at_risk: str = Field(alias="outcry:people_at_risk")
    preferred_language: str = Field(alias="outcry:preferred_language")
    deadline: str | None = Field(alias="outcry:deadline")
    follows: str | None = Field(alias="outcry:follows")
    links: Links = Field(alias="_links")


class Outreach(Doc):
    identifiers: list[str]
    origin_system: str
    created_date: datetime
    modified_date: datetime
    type: str
    subject: str | None = None
    targets: list[Target]
    channels: dict[str, int] = Field(alias="outcry:channels")
    status: str = Field(alias="outcry:status")
    late: bool = Field(alias="outcry:late")
    country: str = Field(alias="outcry:country")
    links: Links = Field(alias="_links")
    embedded: dict[str, Person] = Field(alias="_embedded")


class PetitionPage(Page):
    embedded: dict[str, list[Petition]] = Field(alias="_embedded")


class SignaturePage(Page):
    embedded: dict[str, list[Signature]] = Field(alias="_embedded")


class AdvocacyCampaignPage(Page):
    embedded: dict[str, list[AdvocacyCampaign]] = Field(alias="_embedded")


class OutreachPage(Page):
    embedded: dict[str, list[Outreach]] = Field(alias="_embedded")


class PersonPage(Page):
    embedded: dict[str, list[Person]] = Field(alias="_embedded")


class Entry(Doc):
    motd: str
    vendor_name: str
    product_name: str
    osdi_version: str = Field(alias="osdi_version")
    links: Links = Field(alias="_links")


class SignatureIn(Doc):
    """OSDI's record signature helper, with Outcry's signer choices."""

    person: PersonIn
    name_display: str = Field("anonymous", alias="outcry:name_display")
    wants_updates: bool = Field(False, alias="outcry:wants_updates")


class Accepted(Doc):
    status: str = Field(alias="outcry:status")
    message: str
    links: Links = Field(alias="_links")


class TargetRef(Doc):
    identifiers: list[str] = Field(min_length=1)


class OutreachPersonIn(Doc):
    email_addresses: list[EmailAddress] = Field(default_factory=list, max_length=1)
    postal_addresses: list[PostalAddress] = Field(min_length=1, max_length=1)
    languages_spoken: list[str] = Field(default_factory=list, max_length=5)


class OutreachIn(Doc):
    """OSDI's record outreach helper, for an activist's report of what they did."""

    person: OutreachPersonIn
    targets: list[TargetRef] = Field(default_factory=list, max_length=50)
    channels: dict[str, int] = Field(alias="outcry:channels")
    wants_updates: bool = Field(False, alias="outcry:wants_updates")


class PageParams(Schema):
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(25, ge=1, le=100)
    filter: str | None = Field(
        None,
        max_length=300,
        pattern=FILTER_PATTERN,
        examples=["modified_date gt '2026-01-01T00:00:00Z'"],
    )


class PublicPageParams(Schema):
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(25, ge=1, le=100)
