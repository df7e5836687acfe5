"""Every organiser address is scoped: tried as an owner, another organisation's
member, and an anonymous visitor, and per role."""

import pytest

from outcry.campaigns.models import Comment, Role
from outcry.signing.models import Signature
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    ours, theirs = factories.organisation(), factories.organisation()
    petition = factories.petition(org=ours, title="Our petition")
    other = factories.petition(org=theirs, title="Their petition")
    signature = factories.signature(petition=petition, email="ana.signer@example.org")
    factories.signature(petition=other, email="someone.else@example.org")
    comment = Comment.objects.create(
        petition=petition, name="Luis", email="l@example.org", text="Yes", status="pending"
    )
    return {
        "petition": petition,
        "other": other,
        "signature": signature,
        "comment": comment,
        "owner": factories.user(org=ours, role=Role.OWNER),
        "editor": factories.user(org=ours, role=Role.EDITOR),
        "moderator": factories.user(org=ours, role=Role.MODERATOR),
        "outsider": factories.user(org=theirs, role=Role.OWNER),
    }


def urls(w):
    return {
        "petition": f"/admin/campaigns/petition/{w['petition'].pk}/change/",
        "signature": f"/admin/signing/signature/{w['signature'].pk}/change/",
        "comment": f"/admin/campaigns/comment/{w['comment'].pk}/change/",
        "target": f"/admin/campaigns/target/{w['petition'].target_id}/change/",
    }


@pytest.mark.parametrize("name", ["petition", "signature", "comment", "target"])
def test_anonymous_visitor_is_sent_to_login(client, world, name):
    response = client.get(urls(world)[name])
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("name", ["petition", "signature", "comment", "target"])
def test_member_of_another_organisation_cannot_open_our_objects(client, world, name):
    client.force_login(world["outsider"])
    response = client.get(urls(world)[name], follow=True)
    assert "Our petition" not in response.content.decode()
    assert response.redirect_chain == [] or response.redirect_chain[-1][0].startswith("/admin/")
    assert response.status_code in (200, 302, 403, 404)
    assert response.status_code != 200 or "doesn’t exist" in response.content.decode()


@pytest.mark.parametrize("name", ["petition", "signature", "comment", "target"])
def test_owner_opens_own_objects(client, world, name):
    client.force_login(world["owner"])
    assert client.get(urls(world)[name]).status_code == 200


def test_changelists_show_only_own_organisation(client, world):
    client.force_login(world["owner"])
    page = client.get("/admin/campaigns/petition/").content.decode()
    assert "Our petition" in page and "Their petition" not in page
    sigs = client.get("/admin/signing/signature/").content.decode()
    assert "ana.signer@example.org" in sigs and "someone.else@example.org" not in sigs


def test_signature_email_search_works_and_stays_scoped(client, world):
    # Addresses are encrypted: the search finds a whole address (any spelling of
    # the mailbox) by its digest, never a part of one.
    client.force_login(world["owner"])
    page = client.get("/admin/signing/signature/?q=Ana.Signer%2Btag@example.org").content.decode()
    assert "ana.signer@example.org" in page
    assert "1 result" in page
    page = client.get("/admin/signing/signature/?q=ana.signer").content.decode()
    assert "ana.signer@example.org" not in page and "0 results" in page
    client.force_login(world["outsider"])
    page = client.get("/admin/signing/signature/?q=ana.signer@example.org").content.decode()
    assert "0 results" in page


def test_signatures_are_read_only(client, world):
    client.force_login(world["owner"])
    url = urls(world)["signature"]
    client.post(url, {"name": "Changed"})
    assert Signature.objects.get(pk=world["signature"].pk).name != "Changed"
    page = client.get(url).content.decode()
    assert 'name="name"' not in page  # shown, not editable


def test_editor_edits_petitions_but_not_comments(client, world):
    client.force_login(world["editor"])
    assert 'name="title"' in client.get(urls(world)["petition"]).content.decode()
    page = client.get("/admin/campaigns/comment/").content.decode()
    assert 'name="action"' not in page  # no moderation actions offered


def test_moderator_moderates_comments_but_cannot_edit_petitions(client, world):
    client.force_login(world["moderator"])
    assert 'name="title"' not in client.get(urls(world)["petition"]).content.decode()
    response = client.post(
        "/admin/campaigns/comment/",
        {"action": "approve", "_selected_action": [world["comment"].pk]},
    )
    assert response.status_code == 302
    assert Comment.objects.get(pk=world["comment"].pk).status == Comment.Status.APPROVED


def test_outsider_cannot_moderate_our_comments_by_posting_ids(client, world):
    client.force_login(world["outsider"])
    client.post(
        "/admin/campaigns/comment/",
        {"action": "approve", "_selected_action": [world["comment"].pk]},
    )
    assert Comment.objects.get(pk=world["comment"].pk).status == Comment.Status.PENDING


def test_petition_form_offers_only_own_organisations_and_targets(client, world):
    client.force_login(world["owner"])
    page = client.get("/admin/campaigns/petition/add/").content.decode()
    assert world["petition"].organisation.name in page
    assert world["other"].organisation.name not in page
