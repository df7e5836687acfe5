from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import Http404, JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from outcry.actions.models import UrgentAction
from outcry.campaigns.models import Petition
from outcry.guard import challenges
from outcry.guard.limits import limit
from outcry.signing.provenance import client_ip, ip_hash

CAMPAIGNS = {"petition": Petition, "action": UrgentAction}


def published_campaign(kind: str, pk: int):
    """The published campaign a challenge is for, with only what a challenge names
    (its texts are most of its row), or None. Every signer asks once: kept for the
    few seconds public pages are, so a draft or a new work factor shows as soon."""
    found = cache.get_or_set(
        f"outcry:robot-check:{kind}:{pk}",
        # 0 for "no such campaign": the cache keeps that answer too.
        lambda: (
            CAMPAIGNS[kind].objects.published().only("altcha_max_number").filter(pk=pk).first() or 0
        ),
        settings.PAGE_CACHE_SECONDS,
    )
    return found or None


@require_GET
def challenge(request, kind, pk):
    """A fresh robot-check challenge for the forms of one published campaign."""
    if kind not in CAMPAIGNS:
        raise Http404
    per, seconds = settings.RATE_LIMITS["challenge"]
    # The visitor's limit is counted first, so asking for unknown campaigns in bulk
    # is limited like asking for real ones. It and the campaign's demand
    # (challenges.max_number) are counted in one write: on SQLite, one turn at the
    # write lock, not two.
    campaign = issued = None
    with transaction.atomic():
        retry_after = limit(f"challenge:{ip_hash(client_ip(request))}", per=per, seconds=seconds)
        if retry_after is None:
            campaign = published_campaign(kind, pk)
            if campaign is not None:
                issued = challenges.issue(campaign)
    if retry_after is not None:
        response = JsonResponse({"error": "too many requests"}, status=429)
        response["Retry-After"] = str(retry_after)
    elif campaign is None:
        raise Http404  # after the block: raising inside it would undo the count
    else:
        response = JsonResponse(issued)
    # Each challenge is good once: no cache, shared or private, may hand it out again.
    patch_cache_control(response, no_store=True)
    return response
