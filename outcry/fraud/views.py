"""Organiser workspace: fraud defence."""

urlpatterns = []
