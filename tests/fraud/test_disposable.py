"""Throwaway e-mail domains: a fraud signal, never a block. One such signer is taken
and counted; a burst of them on one petition is set aside silently and reported."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from outcry.campaigns.models import Role
from outcry.fraud import services
from outcry.fraud.disposable import is_disposable
from outcry.fraud.models import ListEntry
from outcry.fraud.rules import check_signatures
from outcry.signing import services as signing
from outcry.signing.models import Signature
from tests import factories
from tests.fraud.helpers import counts_are_honest, sign, token_for
from tests.guard.helpers import human

pytestmark = pytest.mark.django_db

THROWAWAY = ["mailinator.com", "yopmail.com", "guerrillamail.com", "10minutemail.com"]
THROWAWAY += ["trashmail.com", "sharklasers.com", "maildrop.cc"]


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.FRAUD_DISPOSABLE_SIGNATURES_PER_HOUR = 3
    settings.FRAUD_REPORT_THRESHOLD = 10


@pytest.mark.parametrize(
    "domain, disposable",
    [
        ("mailinator.com", True),
        ("MailInator.com", True),
        ("inbox.mailinator.com", True),
        ("gmail.com", False),
        ("amnesty.org", False),
        ("com", False),
        ("", False),
    ],
)
def test_throwaway_domains_are_recognised_with_their_subdomains(domain, disposable):
    assert is_disposable(domain) is disposable


def test_one_throwaway_signature_is_taken_confirmed_and_counted(client):
    petition = factories.petition()
    response = client.post(
        f"/en/petitions/{petition.slug}/sign/",
        human(
            name="Ana Quispe",
            email="ana@mailinator.com",
            country="PE",
            name_display="full",
            campaign=petition,
        ),
    )
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert signature.disposable_domain is True
    assert check_signatures() == 1
    signing.confirm(raw_token=token_for("ana@mailinator.com"))
    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED
    counts_are_honest(petition)
    assert petition.signature_count == 1


def test_a_burst_spread_over_throwaway_domains_is_set_aside_beyond_the_limit():
    petition = factories.petition()
    start = timezone.now() - timedelta(minutes=30)
    for i, domain in enumerate(THROWAWAY[:5]):
        sign(petition, f"s{i}@{domain}", ip_hash=f"{i}" * 64, now=start + timedelta(minutes=i))
    for i in range(3):  # ordinary signers meanwhile are not affected
        sign(petition, f"o{i}@d{i}.example", now=start + timedelta(minutes=i, seconds=30))
    check_signatures()
    states = dict(petition.signatures.values_list("email", "state"))
    assert [states[f"s{i}@{d}"] for i, d in enumerate(THROWAWAY[:5])] == [
        "pending",
        "pending",
        "pending",
        "fraudulent",
        "fraudulent",
    ]
    assert {states[f"o{i}@d{i}.example"] for i in range(3)} == {"pending"}


def test_the_throwaway_rule_counts_one_hour_and_one_petition():
    first, second = factories.petition(), factories.petition()
    long_ago = timezone.now() - timedelta(hours=3)
    for i, domain in enumerate(THROWAWAY[:3]):
        sign(first, f"old{i}@{domain}", now=long_ago)
        sign(second, f"s{i}@{domain}")
    sign(first, f"new@{THROWAWAY[4]}")
    check_signatures()
    assert set(Signature.objects.values_list("state", flat=True)) == {"pending"}


def test_an_allow_listed_throwaway_domain_is_exempt():
    petition = factories.petition()
    ListEntry.objects.create(
        organisation=petition.organisation, kind="domain", value="maildrop.cc", allow=True
    )
    for i, domain in enumerate(THROWAWAY[:3]):
        sign(petition, f"s{i}@{domain}")
    sign(petition, "me@maildrop.cc")
    check_signatures()
    assert factories.signature_of("me@maildrop.cc").state == "pending"


@pytest.fixture
def moderator(client):
    org = factories.organisation()
    client.force_login(factories.user(org=org, role=Role.MODERATOR))
    client.org, client.base = org, f"/en/organiser/{org.slug}/fraud"
    return client


def test_the_report_shows_a_throwaway_burst_and_the_invalidation_takes_only_those(moderator):
    petition = factories.petition(org=moderator.org)
    for i, domain in enumerate(THROWAWAY[:3]):
        factories.signature(petition=petition, email=f"s{i}@{domain}", disposable_domain=True)
    factories.signature(petition=petition, email="x@mailinator.com", disposable_domain=True)
    for i in range(4):
        factories.signature(petition=petition, email=f"o{i}@ordinary.example")
    [hour] = services.hourly_report(organisation=moderator.org)
    assert (hour.disposable.n, hour.disposable.set_aside) == (4, 0)
    text = moderator.get(f"{moderator.base}/").content.decode()
    assert "4 signatures from throwaway e-mail domains, 0 set aside." in text
    link = re.search(r'href="([^"]*invalidations/\?[^"]*disposable=on[^"]*)"', text).group(1)
    form = moderator.get(link.replace("&amp;", "&")).content.decode()
    assert re.search(r'name="disposable"[^>]*checked', form)
    conditions = {"petition": petition.pk, "disposable": True}
    assert services.preview(organisation=moderator.org, conditions=conditions) == 4
    response = moderator.post(
        f"{moderator.base}/invalidations/",
        {
            "petition": petition.pk,
            "disposable": "on",
            "reason": "throwaway burst",
            "expected": 4,
            "apply": "1",
        },
    )
    assert response.status_code == 302
    assert Signature.objects.filter(state="invalidated").count() == 4
    assert not [
        s
        for s in Signature.objects.filter(state="invalidated")
        if s.email.endswith("ordinary.example")
    ]
    counts_are_honest(petition)
    assert petition.signature_count == 4


def test_the_report_marks_a_throwaway_domain_in_the_domain_table(moderator, settings):
    settings.FRAUD_REPORT_THRESHOLD = 3
    petition = factories.petition(org=moderator.org)
    for i in range(3):
        factories.signature(petition=petition, email=f"s{i}@yopmail.com", disposable_domain=True)
        factories.signature(petition=petition, email=f"o{i}@burst.example")
    [hour] = services.hourly_report(organisation=moderator.org)
    assert {(v.key, v.disposable) for v in hour.domains} == {
        ("yopmail.com", True),
        ("burst.example", False),
    }
    assert hour.disposable.n == 3
    text = moderator.get(f"{moderator.base}/").content.decode()
    assert re.search(r"<td>yopmail\.com <span class=\"badge\">throwaway</span></td>", text)
    assert "<td>burst.example</td>" in text
