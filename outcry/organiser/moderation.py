"""Organiser workspace: moderation. Its addresses sit under /organiser/<org>/."""

urlpatterns = []
