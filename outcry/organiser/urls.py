"""Workspace addresses below /organiser/<org>/, one list per area.

Every view here must be wrapped in organiser.access.member_required; the
access test walks them all.
"""

from outcry.api import workspace as api
from outcry.fraud import views as fraud
from outcry.organiser import accounts, authoring, delivery, moderation, stats, webhooks

urlpatterns = [
    *authoring.urlpatterns,
    *moderation.urlpatterns,
    *fraud.urlpatterns,
    *delivery.urlpatterns,
    *stats.urlpatterns,
    *webhooks.urlpatterns,
    *accounts.urlpatterns,
    *api.urlpatterns,
]
