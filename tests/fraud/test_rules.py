import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outcry.fraud.models import ListEntry
from outcry.fraud.rules import check_signatures, ip_verdict
from outcry.privacy.digest import email_digest
from outcry.signing import services
from outcry.signing.models import Signature
from tests import factories
from tests.fraud.helpers import counts_are_honest, sign, token_for

pytestmark = pytest.mark.django_db

IP = "a" * 64


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.FRAUD_SIGNATURES_PER_IP_PER_HOUR = 3
    settings.FRAUD_SIGNATURES_PER_DOMAIN_PER_HOUR = 5


def states(petition):
    return list(petition.signatures.order_by("id").values_list("state", flat=True))


def test_ip_rate_rule_marks_only_the_signature_beyond_the_limit_silently():
    petition = factories.petition()
    start = timezone.now() - timedelta(minutes=30)
    for i in range(4):
        sign(petition, f"s{i}@d{i}.example", ip_hash=IP, now=start + timedelta(minutes=i))
    sign(petition, "other@d9.example", ip_hash="b" * 64, now=start)
    assert check_signatures() == 5
    by_email = dict(petition.signatures.values_list("email", "state"))
    assert [by_email[f"s{i}@d{i}.example"] for i in range(4)] == [
        "pending",
        "pending",
        "pending",
        "fraudulent",
    ]
    assert by_email["other@d9.example"] == "pending"
    assert not Signature.objects.filter(checked_at__isnull=True).exists()
    assert check_signatures() == 0  # each signature is checked once


def test_ip_rate_rule_looks_at_one_hour_only():
    petition = factories.petition()
    start = timezone.now() - timedelta(hours=3)
    for i in range(4):
        sign(petition, f"s{i}@d{i}.example", ip_hash=IP, now=start + timedelta(minutes=40 * i))
    check_signatures()
    assert set(states(petition)) == {"pending"}


def test_ip_rate_rule_counts_per_petition():
    first, second = factories.petition(), factories.petition()
    for i in range(3):
        sign(first, f"s{i}@d{i}.example", ip_hash=IP)
        sign(second, f"s{i}@d{i}.example", ip_hash=IP)
    check_signatures()
    assert set(states(first)) | set(states(second)) == {"pending"}


def test_domain_rate_rule_marks_the_signature_beyond_the_limit():
    petition = factories.petition()
    for i in range(6):
        sign(petition, f"s{i}@burst.example")
    check_signatures()
    assert states(petition) == ["pending"] * 5 + ["fraudulent"]


def test_the_rate_rules_count_no_further_than_their_limit():
    petition = factories.petition()
    for i in range(12):
        sign(petition, f"s{i}@rush.example", ip_hash=IP)
    with CaptureQueriesContext(connection) as queries:
        check_signatures()
    assert states(petition) == ["pending"] * 3 + ["fraudulent"] * 9
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    # Each signature's window is counted up to the limit + 1 (IP: 3, domain: 5), not whole.
    assert counts and all(re.search(r"LIMIT (4|6)\b", sql) for sql in counts), counts


def test_allow_listed_domain_is_exempt_from_the_domain_rule():
    petition = factories.petition()
    ListEntry.objects.create(
        organisation=petition.organisation, kind="domain", value="burst.example", allow=True
    )
    for i in range(6):
        sign(petition, f"s{i}@burst.example")
    check_signatures()
    assert set(states(petition)) == {"pending"}


def test_a_rush_from_free_webmail_is_not_taken_for_a_flood():
    petition = factories.petition()
    for i in range(8):  # beyond the domain limit of 5, each from their own IP
        sign(petition, f"s{i}@gmail.com", ip_hash=f"{i}" * 64)
        sign(petition, f"s{i}@hotmail.es", ip_hash=f"{i}".rjust(64, "h"))
    check_signatures()
    assert set(states(petition)) == {"pending"}


def test_free_webmail_signers_still_count_per_ip_and_as_throwaways(settings):
    settings.FRAUD_DISPOSABLE_SIGNATURES_PER_HOUR = 2
    petition = factories.petition()
    for i in range(4):  # beyond the IP limit of 3
        sign(petition, f"ip{i}@gmail.com", ip_hash=IP)
    for i in range(3):  # mailinator.com is on the free list too, and a throwaway one
        sign(petition, f"t{i}@mailinator.com", ip_hash=f"{i}" * 64)
    check_signatures()
    by_email = dict(petition.signatures.values_list("email", "state"))
    assert [by_email[f"ip{i}@gmail.com"] for i in range(4)] == ["pending"] * 3 + ["fraudulent"]
    assert [by_email[f"t{i}@mailinator.com"] for i in range(3)] == ["pending"] * 2 + ["fraudulent"]


def test_the_webmail_exemption_can_be_turned_off(settings):
    settings.FRAUD_WEBMAIL_EXEMPT = False
    petition = factories.petition()
    for i in range(6):
        sign(petition, f"s{i}@gmail.com", ip_hash=f"{i}" * 64)
    check_signatures()
    assert states(petition) == ["pending"] * 5 + ["fraudulent"]


def test_allow_listed_address_is_exempt_from_every_rule():
    petition = factories.petition()
    ListEntry.objects.create(
        organisation=petition.organisation,
        kind="address",
        value=email_digest("boss@d.example"),
        allow=True,
    )
    ListEntry.objects.create(organisation=petition.organisation, kind="domain", value="d.example")
    for i in range(3):
        sign(petition, f"s{i}@x{i}.example", ip_hash=IP)
    sign(petition, "boss@d.example", ip_hash=IP)  # the 4th from this IP, in a blocked domain
    check_signatures()
    assert factories.signature_of("boss@d.example").state == "pending"


@pytest.mark.parametrize(
    ("kind", "value", "email"),
    [
        ("domain", "spam.example", "anyone@spam.example"),
        ("address", "bot@mail.example", "bot@mail.example"),
        ("address", "bot@gmail.com", "B.o.t+x@googlemail.com"),  # canonical spellings match
    ],
)
def test_block_listed_domain_or_address_is_marked_fraudulent(kind, value, email):
    petition = factories.petition()
    if kind == "address":  # address entries hold the address's digest
        value = email_digest(value)
    ListEntry.objects.create(organisation=petition.organisation, kind=kind, value=value)
    sign(petition, email)
    sign(petition, "fine@mail.example")
    check_signatures()
    assert dict(petition.signatures.values_list("email", "state")) == {
        email: "fraudulent",
        "fine@mail.example": "pending",
    }


def test_another_organisations_block_list_does_not_apply():
    petition = factories.petition()
    ListEntry.objects.create(
        organisation=factories.organisation(), kind="domain", value="spam.example"
    )
    sign(petition, "anyone@spam.example")
    check_signatures()
    assert states(petition) == ["pending"]


def test_marking_a_confirmed_signature_fraudulent_takes_its_count_back():
    petition = factories.petition()
    ListEntry.objects.create(
        organisation=petition.organisation, kind="domain", value="spam.example"
    )
    sign(petition, "anyone@spam.example")
    sign(petition, "fine@mail.example")
    services.confirm(raw_token=token_for("anyone@spam.example"))
    services.confirm(raw_token=token_for("fine@mail.example"))
    services.apply_count_deltas()
    petition.refresh_from_db()
    assert petition.signature_count == 2
    check_signatures()
    counts_are_honest(petition)
    assert petition.signature_count == 1


def test_confirming_after_the_mark_adds_nothing_and_consumes_the_token():
    petition = factories.petition()
    ListEntry.objects.create(
        organisation=petition.organisation, kind="domain", value="spam.example"
    )
    sign(petition, "anyone@spam.example")
    check_signatures()
    token = token_for("anyone@spam.example")
    assert services.confirm(raw_token=token) is not None  # the signer sees success
    assert services.confirm(raw_token=token) is None  # and the link is used up
    signature = Signature.objects.get()
    assert signature.state == "fraudulent" and signature.confirmed_at is not None
    counts_are_honest(petition)
    assert petition.signature_count == 0


@pytest.mark.parametrize(
    ("lists", "ip", "verdict"),
    [
        ([("203.0.113.0/24", False)], "203.0.113.9", "block"),
        ([("203.0.113.0/24", False)], "203.0.114.9", ""),
        ([("203.0.113.0/24", False), ("203.0.113.8/29", True)], "203.0.113.9", "allow"),
        ([("2001:db8::/32", False)], "2001:db8::1", "block"),
        ([("2001:db8::/32", False)], "203.0.113.9", ""),
        ([("203.0.113.0/24", False)], "", ""),
    ],
)
def test_ip_verdict_matches_ranges_and_allow_wins(lists, ip, verdict):
    org = factories.organisation()
    for value, allow in lists:
        ListEntry.objects.create(organisation=org, kind="ip_range", value=value, allow=allow)
    assert ip_verdict(organisation_id=org.pk, ip=ip) == verdict
    assert ip_verdict(organisation_id=factories.organisation().pk, ip=ip) == ""


def test_ip_ranges_are_read_once_and_list_changes_apply_at_once(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    from outcry.fraud import services as fraud

    org = factories.organisation()
    owner = factories.user(org=org)
    assert ip_verdict(organisation_id=org.pk, ip="203.0.113.9") == ""
    with django_assert_num_queries(0):  # every sign POST asks: the answer is kept
        assert ip_verdict(organisation_id=org.pk, ip="203.0.113.9") == ""
    with django_capture_on_commit_callbacks(execute=True):
        entry = fraud.add_entry(
            organisation=org, by=owner, kind="ip_range", value="203.0.113.0/24", allow=False
        )
    assert ip_verdict(organisation_id=org.pk, ip="203.0.113.9") == "block"
    with django_capture_on_commit_callbacks(execute=True):
        fraud.remove_entry(entry=entry, by=owner)
    assert ip_verdict(organisation_id=org.pk, ip="203.0.113.9") == ""


def test_signature_from_an_allowed_ip_range_skips_the_rate_rules():
    petition = factories.petition()
    for i in range(5):
        sign(petition, f"s{i}@d{i}.example", ip_hash=IP, ip_listed="allow")
    assert check_signatures() == 0  # already checked at the door
    assert set(states(petition)) == {"pending"}


def test_the_worker_runs_the_rules(monkeypatch):
    # The test's transaction holds the connection: the worker must not close it.
    monkeypatch.setattr(
        "outcry.outbox.management.commands.worker.close_old_connections", lambda: None
    )
    petition = factories.petition()
    ListEntry.objects.create(
        organisation=petition.organisation, kind="domain", value="spam.example"
    )
    sign(petition, "anyone@spam.example")
    call_command("worker", once=True)
    assert states(petition) == ["fraudulent"]
