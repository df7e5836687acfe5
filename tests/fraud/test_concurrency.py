import pytest

from outcry.fraud.models import ListEntry
from outcry.fraud.rules import check_signatures
from outcry.signing.models import Signature
from tests import factories
from tests.fraud.helpers import counts_are_honest
from tests.workers import drain_in_parallel

WORKERS = 4
SIGNATURES = 120


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_check_each_signature_once():
    petition = factories.petition()
    ListEntry.objects.create(
        organisation=petition.organisation, kind="domain", value="spam.example"
    )
    for i in range(SIGNATURES):
        domain = "spam.example" if i % 2 else "mail.example"
        factories.signature(petition=petition, email=f"s{i}@{domain}")
    counts_are_honest(petition)
    checked_by = drain_in_parallel(lambda: check_signatures(batch=7), workers=WORKERS)

    assert sum(checked_by) == SIGNATURES
    assert Signature.objects.filter(state="fraudulent").count() == SIGNATURES // 2
    # Each fraudulent signature took its count back exactly once.
    counts_are_honest(petition)
    assert petition.signature_count == SIGNATURES // 2
