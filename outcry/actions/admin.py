from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from outcry.actions.models import ActionReport, CaseTarget, SampleLetter, UrgentAction
from outcry.campaigns.admin import EmailDigestSearch, ScopedAdmin
from outcry.campaigns.models import Organisation, Role


class CaseTargetInline(admin.TabularInline):
    model = CaseTarget
    extra = 1


class SampleLetterInline(admin.StackedInline):
    model = SampleLetter
    extra = 0


@admin.register(UrgentAction)
class UrgentActionAdmin(ScopedAdmin):
    list_display = ["number", "headline", "status", "deadline", "totals_link"]
    list_filter = ["status", "organisation"]
    search_fields = ["headline", "serial"]
    inlines = [CaseTargetInline, SampleLetterInline]

    @admin.display(description=_("number"))
    def number(self, obj):
        return obj.number

    @admin.display(description=_("totals for the officials"))
    def totals_link(self, obj):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">PDF</a>',
            reverse("action_totals", args=[obj.organisation.slug, obj.pk]),
            _("page"),
            reverse("action_totals_pdf", args=[obj.organisation.slug, obj.pk]),
        )


@admin.register(ActionReport)
class ActionReportAdmin(EmailDigestSearch, ScopedAdmin):
    """Reports are the activists' word: organisers count or reject them, never rewrite them."""

    organisation_path = "action__organisation"
    edit_roles = (Role.OWNER, Role.MODERATOR)
    list_display = [
        "action",
        "country",
        "letters",
        "emails",
        "calls",
        "status",
        "late",
        "updated_at",
    ]
    list_filter = ["status", "late", "action"]
    actions = ["count", "reject"]
    readonly_fields = [f.name for f in ActionReport._meta.fields] + ["targets"]

    def has_add_permission(self, request):
        return False

    def set_status(self, request, queryset, status):
        orgs = Organisation.objects.for_user(request.user, self.edit_roles)
        n = queryset.filter(action__organisation__in=orgs).update(
            status=status, updated_at=timezone.now()
        )
        messages.success(
            request, ngettext("%(n)d report updated.", "%(n)d reports updated.", n) % {"n": n}
        )

    @admin.action(description=_("Count the selected reports"), permissions=["change"])
    def count(self, request, queryset):
        self.set_status(request, queryset, ActionReport.Status.COUNTED)

    @admin.action(description=_("Reject the selected reports"), permissions=["change"])
    def reject(self, request, queryset):
        self.set_status(request, queryset, ActionReport.Status.REJECTED)
