from django.contrib import admin

from outcry.campaigns.admin import EmailDigestSearch, ScopedAdmin
from outcry.signing.models import Signature


@admin.register(Signature)
class SignatureAdmin(EmailDigestSearch, ScopedAdmin):
    """Signatures are evidence: organisers read and search them, never edit them here."""

    organisation_path = "petition__organisation"
    list_display = ["name", "email", "country", "petition", "state", "created_at", "confirmed_at"]
    list_filter = ["state", "petition"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
