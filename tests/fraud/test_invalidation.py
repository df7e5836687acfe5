from datetime import timedelta

import pytest
from django.utils import timezone

from outcry.campaigns.models import Role
from outcry.fraud import services
from outcry.fraud.models import Invalidation
from outcry.organiser.models import AuditEntry
from outcry.privacy.digest import email_digest, ip_digest
from outcry.signing import services as signing
from outcry.signing.models import Signature
from tests import factories
from tests.fraud.helpers import counts_are_honest, sign, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    org = factories.organisation()
    petition = factories.petition(org=org)
    other = factories.petition(org=org)
    owner = factories.user(org=org, role=Role.OWNER)
    for i in range(3):
        factories.signature(petition=petition, email=f"bot{i}@spam.example", ip_hash="ab" * 32)
    factories.signature(petition=petition, email="late@spam.example", confirmed=False)
    factories.signature(petition=petition, email="real@mail.example", ip_hash="cd" * 32)
    factories.signature(petition=other, email="elsewhere@spam.example")
    counts_are_honest(petition, other)
    assert (petition.signature_count, other.signature_count) == (4, 1)
    return {"org": org, "petition": petition, "other": other, "owner": owner}


def snapshot():
    return dict(Signature.objects.values_list("id", "state"))


def test_invalidation_hits_what_the_preview_counted_and_counts_follow(world):
    conditions = {"petition": world["petition"].pk, "domain": "spam.example"}
    assert services.preview(organisation=world["org"], conditions=conditions) == 4
    invalidation = services.invalidate(
        organisation=world["org"], conditions=conditions, reason="bots", by=world["owner"]
    )
    assert invalidation.count == 4
    assert invalidation.signatures.count() == 4
    assert set(invalidation.signatures.values_list("state", flat=True)) == {"invalidated"}
    counts_are_honest(world["petition"], world["other"])
    assert (world["petition"].signature_count, world["other"].signature_count) == (1, 1)
    assert services.preview(organisation=world["org"], conditions=conditions) == 0


def test_undo_restores_states_and_counts_exactly(world):
    before = snapshot()
    invalidation = services.invalidate(
        organisation=world["org"], conditions={"domain": "spam.example"}, reason="bots", by=None
    )
    counts_are_honest(world["petition"], world["other"])
    assert (world["petition"].signature_count, world["other"].signature_count) == (1, 0)
    assert services.undo(invalidation=invalidation, by=world["owner"]) == 5
    assert snapshot() == before
    counts_are_honest(world["petition"], world["other"])
    assert (world["petition"].signature_count, world["other"].signature_count) == (4, 1)
    invalidation.refresh_from_db()
    assert invalidation.undone_by == world["owner"] and invalidation.undone_at is not None
    assert services.undo(invalidation=invalidation, by=world["owner"]) == 0  # only once
    counts_are_honest(world["petition"])
    assert world["petition"].signature_count == 4


def test_signer_confirming_while_invalidated_counts_only_after_undo(world):
    petition = world["petition"]
    sign(petition, "new@spam.example")
    invalidation = services.invalidate(
        organisation=world["org"],
        conditions={"domain": "spam.example"},
        reason="bots",
        by=None,
    )
    assert signing.confirm(raw_token=token_for("new@spam.example")) is not None
    counts_are_honest(petition)
    assert petition.signature_count == 1
    services.undo(invalidation=invalidation, by=None)
    assert factories.signature_of("new@spam.example").state == "confirmed"
    counts_are_honest(petition)
    assert petition.signature_count == 5


def test_invalidation_and_undo_are_audited(world):
    invalidation = services.invalidate(
        organisation=world["org"],
        conditions={"domain": "spam.example"},
        reason="bots from spam.example",
        by=world["owner"],
    )
    services.undo(invalidation=invalidation, by=world["owner"])
    entries = list(AuditEntry.objects.filter(organisation=world["org"]).order_by("id"))
    assert [(e.verb, e.user, e.detail["count"]) for e in entries] == [
        ("invalidated signatures", world["owner"], 5),
        ("undid invalidation", world["owner"], 5),
    ]
    assert entries[0].subject == "bots from spam.example"
    assert entries[0].detail["conditions"] == {"domain": "spam.example"}


@pytest.mark.parametrize(
    ("conditions", "hits"),
    [
        # The report shows an IP as the start of its digest: the conditions take that.
        ({"ip_hash": 12}, {"bot0@spam.example", "bot1@spam.example", "bot2@spam.example"}),
        ({"ip_hash": 64}, {"bot0@spam.example", "bot1@spam.example", "bot2@spam.example"}),
        ({"country": "AR"}, {"argentina@mail.example"}),
        ({"name_pattern": "test*"}, {"testbot@mail.example"}),
        ({"name_pattern": "*BOT"}, {"testbot@mail.example"}),
        ({"since": "OLD", "until": "NEWER"}, {"old@mail.example"}),
    ],
)
def test_each_condition_narrows_the_invalidation(world, conditions, hits):
    petition = world["petition"]
    factories.signature(petition=petition, email="argentina@mail.example", country="AR")
    factories.signature(petition=petition, email="testbot@mail.example", name="Test Bot")
    old = timezone.now() - timedelta(days=3)
    factories.signature(petition=petition, email="old@mail.example", created_at=old)
    if "ip_hash" in conditions:
        conditions = {"ip_hash": ip_digest("ab" * 32)[: conditions["ip_hash"]]}
    if "since" in conditions:
        conditions = {
            "since": (old - timedelta(minutes=1)).isoformat(),
            "until": (old + timedelta(minutes=1)).isoformat(),
        }
    counts_are_honest(petition)
    invalidation = services.invalidate(
        organisation=world["org"], conditions=conditions, reason="r", by=None
    )
    assert set(invalidation.signatures.values_list("email", flat=True)) == hits
    counts_are_honest(petition, world["other"])
    assert petition.signature_count == 7 - len(hits)


def test_invalidation_never_reaches_another_organisation(world):
    theirs = factories.petition()
    factories.signature(petition=theirs, email="x@spam.example")
    services.invalidate(
        organisation=world["org"], conditions={"domain": "spam.example"}, reason="r", by=None
    )
    assert theirs.signatures.get().state == "confirmed"
    # Naming their petition selects nothing of ours and nothing of theirs.
    assert services.preview(organisation=world["org"], conditions={"petition": theirs.pk}) == 0


def test_fraudulent_signatures_are_left_alone(world):
    Signature.objects.filter(email_digest=email_digest("bot0@spam.example")).update(state="fraudulent")
    signing.reconcile()
    invalidation = services.invalidate(
        organisation=world["org"], conditions={"domain": "spam.example"}, reason="r", by=None
    )
    assert invalidation.count == 4
    services.undo(invalidation=invalidation, by=None)
    assert factories.signature_of("bot0@spam.example").state == "fraudulent"
    assert not Invalidation.objects.filter(undone_at__isnull=True).exists()
