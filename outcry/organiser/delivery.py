"""Organiser workspace: delivery. Its addresses sit under /organiser/<org>/."""

urlpatterns = []
