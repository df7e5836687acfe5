"""The consent log, the texts and the retention runs, for reading only.

Nobody edits or deletes these here (the database refuses it for the log and
the texts anyway); they are the record a data-protection question is answered
from. They hold no address: supporters are found from the "my data" page.
"""

from django.contrib import admin

from outcry.privacy.models import ConsentLog, ConsentText, RetentionRun


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConsentText)
class ConsentTextAdmin(ReadOnlyAdmin):
    list_display = ["kind", "version", "language", "text", "created_at"]
    list_filter = ["kind", "version", "language"]

    def has_module_permission(self, request):
        return request.user.is_superuser


@admin.register(ConsentLog)
class ConsentLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "text", "given", "record", "record_id", "via"]
    list_filter = ["given", "via", "record", "text__kind"]
    search_fields = ["=email_digest"]
    show_full_result_count = False

    def has_module_permission(self, request):
        # Across every organisation: for the operator, not for one organisation's staff.
        return request.user.is_superuser


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    list_display = [
        "ran_at",
        "signatures_anonymised",
        "reports_anonymised",
        "batches_anonymised",
        "signatures_deleted",
        "batches_deleted",
    ]
