"""Organiser workspace: stats. Its addresses sit under /organiser/<org>/."""

urlpatterns = []
