from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from outcry.actions.models import UrgentAction
from outcry.campaigns.models import Membership, Petition, Role
from outcry.organiser import services
from outcry.organiser.access import EVERYONE, OWNERS, member_required, scoped
from outcry.organiser.forms import AccountForm, InviteForm, MemberRoleForm
from outcry.organiser.models import AuditEntry, Invitation, TwoFactor


@login_required(login_url="organiser_login")
def home(request):
    memberships = Membership.objects.filter(user=request.user).select_related("organisation")
    if len(memberships) == 1:
        return redirect("organiser_dashboard", org=memberships[0].organisation.slug)
    return render(request, "organiser/home.html", {"memberships": memberships})


@member_required(EVERYONE)
def dashboard(request):
    org = request.organisation
    return render(
        request,
        "organiser/dashboard.html",
        {
            "petitions": Petition.objects.filter(organisation=org).select_related("target"),
            "urgent_actions": UrgentAction.objects.filter(organisation=org).annotate(
                n_reports=Count("reports")
            ),
        },
    )


@member_required(OWNERS)
@require_http_methods(["GET", "POST"])
def members(request):
    org = request.organisation
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.invite(
            organisation=org,
            by=request.user,
            language=request.LANGUAGE_CODE,
            **form.cleaned_data,
        )
        return redirect("organiser_members", org=org.slug)
    return render(
        request,
        "organiser/members.html",
        {
            "form": form,
            "memberships": org.memberships.select_related("user")
            .annotate(two_factor=Exists(TwoFactor.objects.filter(user=OuterRef("user"))))
            .order_by("user__username"),
            "invitations": Invitation.objects.filter(
                organisation=org, accepted_at__isnull=True, token_hash__isnull=False
            ),
            "roles": Role.choices,
        },
        status=400 if form.errors else 200,
    )


@member_required(OWNERS)
@require_POST
def member_role(request, pk):
    membership = scoped(request, Membership.objects.select_related("user"), pk=pk)
    form = MemberRoleForm(request.POST)
    if form.is_valid() and not last_owner(membership, form.cleaned_data["role"]):
        membership.role = form.cleaned_data["role"]
        membership.save(update_fields=["role"])
        services.audit(
            organisation=request.organisation,
            user=request.user,
            verb="changed role",
            subject=membership.user.get_username(),
            role=membership.role,
        )
    return redirect("organiser_members", org=request.organisation.slug)


@member_required(OWNERS)
@require_POST
def member_remove(request, pk):
    membership = scoped(request, Membership.objects.select_related("user"), pk=pk)
    if not last_owner(membership, None):
        membership.delete()
        services.audit(
            organisation=request.organisation,
            user=request.user,
            verb="removed member",
            subject=membership.user.get_username(),
        )
    return redirect("organiser_members", org=request.organisation.slug)


def last_owner(membership, new_role) -> bool:
    """An organisation always keeps an owner: the last one cannot leave or step down."""
    if membership.role != Role.OWNER or new_role == Role.OWNER:
        return False
    return (
        not membership.organisation.memberships.filter(role=Role.OWNER)
        .exclude(pk=membership.pk)
        .exists()
    )


@member_required(OWNERS)
def audit_log(request):
    entries = AuditEntry.objects.filter(organisation=request.organisation).select_related("user")[
        :500
    ]
    return render(request, "organiser/audit.html", {"entries": entries})


@require_http_methods(["GET", "POST"])
def accept_invitation(request, token):
    invitation = services.invitation_for(token)
    if invitation is None:
        return render(request, "organiser/invitation.html", {"invitation": None}, status=404)
    form = None
    if request.user.is_authenticated:
        if request.method == "POST":
            services.accept(raw_token=token, user=request.user)
            return redirect("organiser_dashboard", org=invitation.organisation.slug)
    else:
        form = AccountForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            user = form.save()
            services.accept(raw_token=token, user=user)
            login(request, user)
            return redirect("organiser_dashboard", org=invitation.organisation.slug)
    return render(
        request,
        "organiser/invitation.html",
        {"invitation": invitation, "form": form, "error": form is not None and form.errors},
        status=400 if form is not None and form.errors else 200,
    )
