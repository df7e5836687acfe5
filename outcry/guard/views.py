from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from outcry.actions.models import UrgentAction
from outcry.campaigns.models import Petition
from outcry.guard import challenges
from outcry.guard.limits import limit
from outcry.signing.provenance import client_ip, ip_hash

CAMPAIGNS = {"petition": Petition, "action": UrgentAction}


@require_GET
def challenge(request, kind, pk):
    """A fresh robot-check challenge for the forms of one published campaign."""
    if kind not in CAMPAIGNS:
        raise Http404
    per, seconds = settings.RATE_LIMITS["challenge"]
    retry_after = limit(f"challenge:{ip_hash(client_ip(request))}", per=per, seconds=seconds)
    if retry_after is not None:
        response = JsonResponse({"error": "too many requests"}, status=429)
        response["Retry-After"] = str(retry_after)
    else:
        # Only what a challenge names: the texts of a campaign are most of its row.
        published = CAMPAIGNS[kind].objects.published().only("altcha_max_number")
        campaign = get_object_or_404(published, pk=pk)
        response = JsonResponse(challenges.issue(campaign))
    # Each challenge is good once: no cache, shared or private, may hand it out again.
    patch_cache_control(response, no_store=True)
    return response
