"""Organiser workspace: stats. (Views of this area; its addresses sit under /organiser/<org>/.)"""

urlpatterns = []
