"""Workspace addresses below /organiser/<org>/, one list per area.

Every view here must be wrapped in organiser.access.member_required; the
access test walks them all.
"""

from outcry.api import workspace as api
from outcry.fraud import views as fraud
from outcry.organiser import authoring, delivery, moderation, stats

urlpatterns = [
    *authoring.urlpatterns,
    *moderation.urlpatterns,
    *fraud.urlpatterns,
    *delivery.urlpatterns,
    *stats.urlpatterns,
    *api.urlpatterns,
]
