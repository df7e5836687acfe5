"""Organiser workspace: authoring. Its addresses sit under /organiser/<org>/."""

urlpatterns = []
