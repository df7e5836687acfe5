"""What each event says about its record.

Minimal on purpose: identifiers, counts and times, never a name, e-mail address
or postcode. A receiver's URL belongs to another system whose logs and
retention Outcry does not control, and a person who erases their data must not
live on in delivery logs. The organisation owns its signers' data and reads it,
when it needs it, through the authenticated API or an export, by the ids given
here.
"""

from django.conf import settings
from django.utils import translation

from outcry.actions.models import CHANNELS, ActionReport, SentLetter, UrgentAction
from outcry.campaigns.models import Petition
from outcry.signing.models import Signature


def at(moment) -> str | None:
    return moment.isoformat() if moment else None


def public_url(campaign) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return settings.SITE_URL + campaign.get_absolute_url()


def campaign(obj: Petition | UrgentAction) -> dict:
    if isinstance(obj, Petition):
        return {
            "type": "petition",
            "id": obj.pk,
            "slug": obj.slug,
            "title": obj.title,
            "url": public_url(obj),
        }
    return {
        "type": "urgent_action",
        "id": obj.pk,
        "number": obj.number,
        "headline": obj.headline,
        "url": public_url(obj),
    }


def signature(s: Signature) -> dict:
    return {
        "id": s.pk,
        "country": str(s.country),
        "language": s.language,
        "signed_at": at(s.created_at),
        "confirmed_at": at(s.confirmed_at),
    }


def report(r: ActionReport, *, amended: bool) -> dict:
    return {
        "id": r.pk,
        "amended": amended,
        "status": r.status,
        "late": r.late,
        "country": str(r.country),
        "language": r.language,
        "actions": {field: getattr(r, field) for field, _label in CHANNELS},
        "targets": sorted(t.pk for t in r.targets.all()),
        "reported_at": at(r.created_at),
        "updated_at": at(r.updated_at),
    }


def letter(x: SentLetter, *, sent_at) -> dict:
    return {
        "id": x.pk,
        "target": {"id": x.target_id, "name": x.target.name},
        "language": x.batch.language,
        "country": str(x.batch.country),
        "sent_at": at(sent_at),
    }


def closed(obj: Petition | UrgentAction, *, closed_at) -> dict:
    data = {"closed_at": at(closed_at)}
    if isinstance(obj, UrgentAction):
        data["outcome"] = obj.outcome
    return data
