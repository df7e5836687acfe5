from django.contrib import admin

from outcry.campaigns.admin import ScopedAdmin
from outcry.signing.models import Signature


@admin.register(Signature)
class SignatureAdmin(ScopedAdmin):
    """Signatures are evidence: organisers read and search them, never edit them here."""

    organisation_path = "petition__organisation"
    list_display = ["name", "email", "country", "petition", "state", "created_at", "confirmed_at"]
    list_filter = ["state", "petition"]
    search_fields = ["email", "email_canonical", "name"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
