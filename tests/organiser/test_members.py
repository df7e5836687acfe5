from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.utils import timezone

from outcry.campaigns.models import Membership, Role
from outcry.organiser.models import AuditEntry, Invitation
from outcry.outbox.models import Message
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client):
    org = factories.organisation()
    owner = factories.user(org=org, role=Role.OWNER, username="olga")
    client.force_login(owner)
    client.org, client.owner = org, owner
    return client


def invite(client, email="new@example.org", role="editor"):
    response = client.post(
        f"/en/organiser/{client.org.slug}/members/", {"email": email, "role": role}
    )
    assert response.status_code == 302
    return urlsplit(factories.messages_to(email)[0].context["url"]).path


def test_invitation_by_email_makes_a_new_member_with_the_role(owner_client, client):
    link = invite(owner_client)
    assert Invitation.objects.get().role == "editor"
    client.logout()
    page = client.get(link)
    assert "Join" in page.content.decode()
    response = client.post(
        link,
        {
            "username": "nuria",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )
    assert response["Location"] == f"/en/organiser/{owner_client.org.slug}/"
    member = Membership.objects.get(user__username="nuria")
    assert (member.organisation, member.role) == (owner_client.org, Role.EDITOR)
    assert client.get(link).status_code == 404  # used once
    assert AuditEntry.objects.filter(verb="invited").exists()
    assert AuditEntry.objects.filter(verb="joined", subject="nuria").exists()


def test_invitation_expires(owner_client, client):
    link = invite(owner_client)
    client.logout()
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert client.get(link).status_code == 404


def test_invitation_form_errors_write_nothing(owner_client):
    response = owner_client.post(
        f"/en/organiser/{owner_client.org.slug}/members/", {"email": "nope", "role": "editor"}
    )
    assert response.status_code == 400
    assert "Please enter an e-mail address like name@example.org." in response.content.decode()
    assert not Invitation.objects.exists() and not Message.objects.exists()


def test_owner_changes_a_role_and_it_is_audited(owner_client):
    editor = factories.user(org=owner_client.org, role=Role.EDITOR, username="eva")
    membership = Membership.objects.get(user=editor)
    owner_client.post(
        f"/en/organiser/{owner_client.org.slug}/members/{membership.pk}/role/",
        {"role": "moderator"},
    )
    assert Membership.objects.get(pk=membership.pk).role == Role.MODERATOR
    entry = AuditEntry.objects.get(verb="changed role")
    assert (entry.user, entry.subject, entry.detail) == (
        owner_client.owner,
        "eva",
        {"role": "moderator"},
    )
    log = owner_client.get(f"/en/organiser/{owner_client.org.slug}/audit/").content.decode()
    assert "changed role" in log and "eva" in log and "olga" in log


def test_the_last_owner_cannot_step_down_or_be_removed(owner_client):
    membership = Membership.objects.get(user=owner_client.owner)
    base = f"/en/organiser/{owner_client.org.slug}/members/{membership.pk}"
    owner_client.post(base + "/role/", {"role": "editor"})
    owner_client.post(base + "/remove/")
    assert Membership.objects.get(pk=membership.pk).role == Role.OWNER


def test_login_page_and_single_organisation_lands_on_its_dashboard(client):
    org = factories.organisation(name="Amnistía Demo")
    factories.user(org=org, role=Role.MODERATOR, username="mo")
    assert client.get("/en/organiser/login/").status_code == 200
    response = client.post("/en/organiser/login/", {"username": "mo", "password": "pw-for-tests-1"})
    assert response.status_code == 302
    home = client.get("/en/organiser/")
    assert home["Location"] == f"/en/organiser/{org.slug}/"
    assert "Amnistía Demo" in client.get(home["Location"]).content.decode()
