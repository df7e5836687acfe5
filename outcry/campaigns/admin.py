"""The organisers' admin. Every page is scoped to the user's organisations.

`ScopedAdmin` is the one place that decides who may see and change what: it
filters through `Organisation.objects.for_user` and checks the member's role.
"""

from django.contrib import admin, messages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from outcry.campaigns.models import (
    Comment,
    Membership,
    Organisation,
    Petition,
    PetitionUpdate,
    Role,
    Target,
)
from outcry.campaigns.services import close_petition
from outcry.privacy.digest import email_digest

EVERY_ROLE = tuple(Role.values)


class EmailDigestSearch:
    """Search by a whole e-mail address.

    Addresses are encrypted, so the database cannot search inside them: the
    admin finds a person by the digest of the address, never by a part of it.
    """

    search_fields = ["email_digest"]  # shows the search box; the search is below
    search_help_text = _("Search by a whole e-mail address.")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(email_digest=email_digest(term)), False


class ScopedAdmin(admin.ModelAdmin):
    organisation_path = "organisation"  # from this model to its Organisation
    edit_roles: tuple[str, ...] = (Role.OWNER, Role.EDITOR)
    view_roles: tuple[str, ...] = EVERY_ROLE
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def organisation_of(self, obj) -> Organisation:
        for attr in self.organisation_path.split("__"):
            obj = getattr(obj, attr)
        return obj

    def allowed(self, request, roles, obj=None) -> bool:
        orgs = Organisation.objects.for_user(request.user, roles)
        if obj is None:
            return orgs.exists()
        return orgs.filter(pk=self.organisation_of(obj).pk).exists()

    def get_queryset(self, request):
        orgs = Organisation.objects.for_user(request.user, self.view_roles)
        return super().get_queryset(request).filter(**{f"{self.organisation_path}__in": orgs})

    def has_module_permission(self, request):
        return (
            request.user.is_active and request.user.is_staff and self.allowed(request, EVERY_ROLE)
        )

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff and self.allowed(request, self.view_roles, obj)

    def has_change_permission(self, request, obj=None):
        return request.user.is_staff and self.allowed(request, self.edit_roles, obj)

    def has_add_permission(self, request):
        return request.user.is_staff and self.allowed(request, self.edit_roles)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Offer only what belongs to organisations this user may edit.
        model = db_field.related_model
        if model is Organisation:
            kwargs["queryset"] = Organisation.objects.for_user(request.user, self.edit_roles)
        elif hasattr(model.objects, "for_user"):
            kwargs["queryset"] = model.objects.for_user(request.user, self.edit_roles)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MembershipInline(admin.TabularInline):
    """Owners see who is in their organisation; only superusers change it (for now)."""

    model = Membership
    extra = 0

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdmin):
    organisation_path = "pk"
    edit_roles = (Role.OWNER,)
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def organisation_of(self, obj):
        return obj

    def get_queryset(self, request):
        return Organisation.objects.for_user(request.user, self.view_roles)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Target)
class TargetAdmin(ScopedAdmin):
    list_display = ["name", "role", "institution", "country", "organisation"]
    search_fields = ["name", "role", "institution"]
    list_filter = ["organisation"]


class PetitionUpdateInline(admin.StackedInline):
    model = PetitionUpdate
    extra = 0
    fields = ["title", "body", "published_at", "email_signers"]


@admin.register(Petition)
class PetitionAdmin(ScopedAdmin):
    list_display = [
        "title",
        "organisation",
        "signature_count",
        "published_at",
        "deadline",
        "closed_at",
    ]
    list_filter = ["organisation"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["signature_count"]
    inlines = [PetitionUpdateInline]
    actions = ["close_now"]
    fieldsets = [
        (None, {"fields": ["organisation", "title", "slug", "goal", "target", "language"]}),
        (_("Text"), {"fields": ["body", "letter"]}),
        (_("Image"), {"fields": ["image", "image_alt", "image_credit"]}),
        (
            _("Publishing"),
            {
                "fields": [
                    "published_at",
                    "deadline",
                    "closed_at",
                    "comments_premoderated",
                    "signature_count",
                ]
            },
        ),
    ]

    @admin.action(description=_("Close the selected petitions now"), permissions=["change"])
    def close_now(self, request, queryset):
        closed = 0
        for petition in queryset:
            if self.has_change_permission(request, petition):
                close_petition(petition=petition, now=timezone.now())
                closed += 1
        messages.success(
            request,
            ngettext("%(n)d petition closed.", "%(n)d petitions closed.", closed) % {"n": closed},
        )


@admin.register(Comment)
class CommentAdmin(ScopedAdmin):
    organisation_path = "petition__organisation"
    edit_roles = (Role.OWNER, Role.MODERATOR)
    list_display = ["name", "short_text", "petition", "status", "created_at"]
    list_filter = ["status", "petition"]
    search_fields = ["text"]  # names and addresses are encrypted: not searchable
    readonly_fields = ["petition", "name", "email", "text", "created_at"]
    actions = ["approve", "reject", "mark_spam"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("comment"))
    def short_text(self, obj):
        return obj.text[:80]

    def set_status(self, request, queryset, status):
        n = queryset.filter(
            petition__organisation__in=Organisation.objects.for_user(request.user, self.edit_roles)
        ).update(status=status)
        messages.success(
            request,
            ngettext("%(n)d comment updated.", "%(n)d comments updated.", n) % {"n": n},
        )

    @admin.action(description=_("Approve"), permissions=["change"])
    def approve(self, request, queryset):
        self.set_status(request, queryset, Comment.Status.APPROVED)

    @admin.action(description=_("Reject"), permissions=["change"])
    def reject(self, request, queryset):
        self.set_status(request, queryset, Comment.Status.REJECTED)

    @admin.action(description=_("Mark as spam"), permissions=["change"])
    def mark_spam(self, request, queryset):
        self.set_status(request, queryset, Comment.Status.SPAM)
