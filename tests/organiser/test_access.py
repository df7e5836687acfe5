"""Invariant 5: every workspace address checks that its object belongs to one of
the user's organisations, tried with an owner, an editor, a moderator, a member
of another organisation and an anonymous visitor."""

from importlib import import_module
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from outcry.campaigns.models import Membership, Role
from tests import factories

pytestmark = pytest.mark.django_db


def workspace_patterns(resolver=None):
    """Every URL whose view goes through member_required (it carries `.roles`)."""
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            yield from workspace_patterns(p)
        elif isinstance(p, URLPattern) and hasattr(p.callback, "roles"):
            yield p


@pytest.fixture
def world():
    ours, theirs = factories.organisation(), factories.organisation()
    owner = factories.user(org=ours, role=Role.OWNER)
    w = {
        "org": ours,
        "action": factories.urgent_action(org=ours),
        "petition": factories.petition(org=ours),
        "membership": Membership.objects.get(user=owner),
        "owner": owner,
        "editor": factories.user(org=ours, role=Role.EDITOR),
        "moderator": factories.user(org=ours, role=Role.MODERATOR),
        "outsider": factories.user(org=theirs, role=Role.OWNER),
        "theirs": theirs,
    }
    return w


# How to fill each workspace address. A new one fails here until it is added:
# here for the foundation, in tests/organiser/args_<area>.py for each area.
ARGS = {
    "organiser_dashboard": lambda w: {},
    "organiser_members": lambda w: {},
    "organiser_member_role": lambda w: {"pk": w["membership"].pk},
    "organiser_member_remove": lambda w: {"pk": w["membership"].pk},
    "organiser_audit": lambda w: {},
    "action_totals": lambda w: {"pk": w["action"].pk},
    "action_totals_pdf": lambda w: {"pk": w["action"].pk},
}


for module in sorted(Path(__file__).parent.glob("args_*.py")):
    ARGS.update(import_module(f"tests.organiser.{module.stem}").ARGS)


def url_for(pattern, w, org):
    assert pattern.name in ARGS, f"add {pattern.name} to ARGS: its access must be tested"
    return reverse(pattern.name, kwargs={"org": org.slug, **ARGS[pattern.name](w)})


PATTERNS = list(workspace_patterns())


def test_every_workspace_address_is_known():
    assert {p.name for p in PATTERNS} == set(ARGS)


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.name)
@pytest.mark.parametrize("persona", ["owner", "editor", "moderator", "outsider", "anonymous"])
def test_workspace_address_admits_only_its_roles(client, world, pattern, persona):
    url = url_for(pattern, world, world["org"])
    if persona != "anonymous":
        client.force_login(world[persona])
    response = client.get(url)
    if persona == "anonymous":
        assert response.status_code == 302 and "/organiser/login/" in response["Location"]
    elif persona != "outsider" and world[persona].memberships.get().role in pattern.callback.roles:
        assert response.status_code in (200, 302, 405)  # 405: a POST-only address
    else:
        assert response.status_code == 404


@pytest.mark.parametrize(
    "pattern", [p for p in PATTERNS if "<int:pk>" in str(p.pattern)], ids=lambda p: p.name
)
def test_another_organisations_owner_cannot_reach_our_objects_through_their_own(
    client, world, pattern
):
    """Their organisation in the address, our object's id: still 404."""
    client.force_login(world["outsider"])
    url = url_for(pattern, world, world["theirs"])
    assert client.get(url).status_code in (404, 405)  # 405: refused before any lookup
    assert client.post(url, {"role": "moderator"}).status_code == 404
    assert Membership.objects.get(pk=world["membership"].pk).role == Role.OWNER
