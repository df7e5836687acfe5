import re
from datetime import timedelta

import pytest
from django.utils import timezone

from outcry.campaigns.models import Role
from outcry.fraud import services
from outcry.fraud.models import Invalidation, ListEntry
from outcry.fraud.rules import check_signatures
from outcry.organiser.models import AuditEntry
from outcry.privacy.digest import email_digest, ip_digest
from outcry.signing.provenance import ip_hash
from tests import factories
from tests.fraud.helpers import counts_are_honest, token_for
from tests.guard.helpers import human

pytestmark = pytest.mark.django_db

BLOCKED, CLEAN = "203.0.113.9", "198.51.100.7"


def page(response, token="") -> str:
    """A page without what differs between any two requests: CSRF and the token."""
    text = response.content.decode()
    if token:
        text = text.replace(token, "TOKEN")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)


def post_signature(client, petition, email, ip):
    return client.post(
        f"/en/petitions/{petition.slug}/sign/",
        human(name="Ana Quispe", email=email, country="PE", name_display="full", campaign=petition),
        REMOTE_ADDR=ip,
    )


def test_signature_from_a_blocked_ip_range_looks_the_same_and_counts_nothing(client):
    petition = factories.petition()
    ListEntry.objects.create(
        organisation=petition.organisation, kind="ip_range", value="203.0.113.0/24"
    )
    steps = {}
    for email, ip in (("bot@mail.example", BLOCKED), ("ana@mail.example", CLEAN)):
        signed = post_signature(client, petition, email, ip)
        thanks = client.get(signed["Location"])
        message = factories.messages_to(email)[0]
        token = token_for(email)
        confirm_page = client.get(f"/en/confirm/{token}/")
        confirmed = client.post(f"/en/confirm/{token}/")
        again = client.post(f"/en/confirm/{token}/")
        steps[email] = [
            (signed.status_code, signed["Location"]),
            page(thanks),
            (message.template, sorted(message.context), message.context["petition_title"]),
            (confirm_page.status_code, page(confirm_page, token)),
            (confirmed.status_code, confirmed["Location"]),
            page(client.get(confirmed["Location"])),
            again.status_code,
        ]
    assert steps["bot@mail.example"] == steps["ana@mail.example"]
    bot = factories.signature_of("bot@mail.example")
    assert bot.state == "fraudulent" and bot.checked_at is not None
    assert bot.ip_hash == ip_hash(BLOCKED)  # still only the hash is kept
    assert factories.signature_of("ana@mail.example").state == "confirmed"
    check_signatures()
    counts_are_honest(petition)
    assert petition.signature_count == 1


def test_signing_again_from_a_blocked_range_gets_a_fresh_link_like_anyone(client):
    petition = factories.petition()
    ListEntry.objects.create(
        organisation=petition.organisation, kind="ip_range", value="203.0.113.0/24"
    )
    for email, ip in (("bot@mail.example", BLOCKED), ("ana@mail.example", CLEAN)):
        post_signature(client, petition, email, ip)
        post_signature(client, petition, email, ip)
    templates = lambda email: list(  # noqa: E731
        [m.template for m in factories.messages_to(email)]
    )
    assert templates("bot@mail.example") == templates("ana@mail.example")


@pytest.fixture
def moderator(client):
    org = factories.organisation()
    user = factories.user(org=org, role=Role.MODERATOR)
    client.force_login(user)
    client.org, client.user = org, user
    client.base = f"/en/organiser/{org.slug}/fraud"
    return client


def test_preview_then_apply_invalidates_what_the_preview_showed(moderator):
    petition = factories.petition(org=moderator.org)
    for i in range(3):
        factories.signature(petition=petition, email=f"bot{i}@spam.example")
    factories.signature(petition=petition, email="real@mail.example")
    counts_are_honest(petition)
    form = {"petition": petition.pk, "domain": "spam.example", "reason": "bots"}
    preview = moderator.post(f"{moderator.base}/invalidations/", {**form, "preview": "1"})
    assert preview.status_code == 200
    assert "These conditions hit 3 signatures." in preview.content.decode()
    assert 'name="expected" value="3"' in preview.content.decode()
    assert not Invalidation.objects.exists()
    applied = moderator.post(
        f"{moderator.base}/invalidations/", {**form, "expected": "3", "apply": "1"}
    )
    assert applied.status_code == 302
    invalidation = Invalidation.objects.get()
    assert invalidation.count == 3 and invalidation.created_by == moderator.user
    counts_are_honest(petition)
    assert petition.signature_count == 1
    listing = moderator.get(applied["Location"]).content.decode()
    assert "3 signatures invalidated." in listing


def test_apply_refuses_when_the_count_changed_since_the_preview(moderator):
    petition = factories.petition(org=moderator.org)
    factories.signature(petition=petition, email="bot0@spam.example")
    response = moderator.post(
        f"{moderator.base}/invalidations/",
        {"domain": "spam.example", "reason": "bots", "expected": "5", "apply": "1"},
    )
    assert response.status_code == 200
    assert "The number changed since the preview" in response.content.decode()
    assert not Invalidation.objects.exists()


def test_invalidation_needs_a_condition_and_a_reason(moderator):
    response = moderator.post(f"{moderator.base}/invalidations/", {"preview": "1"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Please give at least one condition." in text
    assert "Please say why, for the audit log." in text


def test_undo_through_the_page_restores_the_count(moderator):
    petition = factories.petition(org=moderator.org)
    factories.signature(petition=petition, email="bot0@spam.example")
    counts_are_honest(petition)
    invalidation = services.invalidate(
        organisation=moderator.org, conditions={"domain": "spam.example"}, reason="r", by=None
    )
    response = moderator.post(f"{moderator.base}/invalidations/{invalidation.pk}/undo/")
    assert response.status_code == 302
    counts_are_honest(petition)
    assert petition.signature_count == 1
    assert "Undone by" in moderator.get(response["Location"]).content.decode()


def test_another_organisations_invalidation_cannot_be_undone(moderator):
    theirs = factories.petition()
    factories.signature(petition=theirs, email="x@spam.example")
    invalidation = services.invalidate(
        organisation=theirs.organisation, conditions={"domain": "spam.example"}, reason="r", by=None
    )
    response = moderator.post(f"{moderator.base}/invalidations/{invalidation.pk}/undo/")
    assert response.status_code == 404
    invalidation.refresh_from_db()
    assert invalidation.undone_at is None
    assert theirs.signatures.get().state == "invalidated"


def test_list_entries_are_normalised_added_removed_and_audited(moderator):
    lists = f"{moderator.base}/lists/"
    for kind, value in [
        ("ip_range", "203.0.113.77/24"),
        ("domain", "@GoogleMail.com"),
        ("address", "A.N.A+x@gmail.com"),
    ]:
        assert (
            moderator.post(lists, {"kind": kind, "value": value, "allow": "0"}).status_code == 302
        )
    # An address is matched by its digest and shown decrypted, never stored readable.
    assert sorted(e.shown for e in ListEntry.objects.all()) == [
        "203.0.113.0/24",
        "ana@gmail.com",
        "gmail.com",
    ]
    assert ListEntry.objects.get(kind="address").value == email_digest("ana@gmail.com")
    duplicate = moderator.post(lists, {"kind": "domain", "value": "gmail.com", "allow": "1"})
    assert duplicate.status_code == 400
    bad = moderator.post(lists, {"kind": "ip_range", "value": "not-an-ip", "allow": "0"})
    assert "Please enter an IP range like 203.0.113.0/24." in bad.content.decode()
    entry = ListEntry.objects.get(kind="domain")
    assert moderator.post(f"{lists}{entry.pk}/remove/").status_code == 302
    assert not ListEntry.objects.filter(pk=entry.pk).exists()
    assert list(
        AuditEntry.objects.filter(organisation=moderator.org)
        .order_by("id")
        .values_list("verb", flat=True)
    ) == ["block-listed"] * 3 + ["removed from block list"]


def test_hourly_report_shows_unusual_ips_and_domains_but_never_a_whole_hash(moderator, settings):
    settings.FRAUD_REPORT_THRESHOLD = 4
    petition = factories.petition(org=moderator.org)
    burst = "e" * 64
    for i in range(5):
        factories.signature(petition=petition, email=f"b{i}@burst.example", ip_hash=burst)
    for i in range(3):
        factories.signature(petition=petition, email=f"s{i}@s{i}.example", ip_hash=f"{i}" * 64)
    factories.signature(
        petition=petition,
        email="old@old.example",
        ip_hash="f" * 64,
        created_at=timezone.now() - timedelta(hours=2),
    )
    [hour] = services.hourly_report(organisation=moderator.org)
    assert hour.total == 8
    # IPs show as their digest (the stored IP hash is encrypted), domains by name.
    burst = ip_digest(burst)
    assert [(v.key, v.n) for v in hour.ips] == [(burst, 5)]
    assert [(v.key, v.n) for v in hour.domains] == [("burst.example", 5)]
    text = moderator.get(f"{moderator.base}/").content.decode()
    assert burst[:12] + "…" in text and "burst.example" in text
    assert burst[:13] + "…" not in text
    assert "old.example" not in text
    link = re.search(r'href="([^"]*invalidations/\?[^"]*domain=[^"]*)"', text).group(1)
    form = moderator.get(link.replace("&amp;", "&")).content.decode()
    assert 'value="burst.example"' in form and f'value="{petition.pk}" selected' in form
    assert services.hourly_report(organisation=factories.organisation()) == []
