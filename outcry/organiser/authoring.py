"""Organiser workspace: authoring. (Views of this area; its addresses sit under /organiser/<org>/.)"""

urlpatterns = []
