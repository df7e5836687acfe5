"""The one gate of the organiser workspace.

Every workspace view is wrapped in `member_required(roles)`: it finds the
organisation named in the address among the user's own, checks the role, and
hands the view `request.organisation` and `request.role`. Objects are then
looked up through `scoped(request, queryset)`, never by id alone.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404

from outcry.campaigns.models import Membership, Role

EVERYONE = (Role.OWNER, Role.EDITOR, Role.MODERATOR)
OWNERS = (Role.OWNER,)
EDITORS = (Role.OWNER, Role.EDITOR)
MODERATORS = (Role.OWNER, Role.MODERATOR)


def member_required(roles=EVERYONE):
    def decorator(view):
        @wraps(view)
        def wrapped(request, org, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), "organiser_login")
            membership = (
                Membership.objects.select_related("organisation")
                .filter(user=request.user, organisation__slug=org)
                .first()
            )
            # Not a member and not allowed look the same: a 404 tells nobody
            # which organisations exist.
            if membership is None or membership.role not in roles:
                raise Http404
            request.organisation = membership.organisation
            request.role = membership.role
            return view(request, *args, **kwargs)

        wrapped.roles = roles
        return wrapped

    return decorator


def scoped(request, queryset, path="organisation", **lookup):
    """Get one object of `queryset` that belongs to the request's organisation, or 404."""
    return get_object_or_404(queryset.filter(**{path: request.organisation}), **lookup)
