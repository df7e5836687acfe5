import threading

import pytest
from django.db import connections

from outcry.fraud.models import ListEntry
from outcry.fraud.rules import check_signatures
from outcry.signing.models import Signature
from tests import factories
from tests.fraud.helpers import counts_are_honest

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
    start = threading.Barrier(WORKERS)
    checked_by = [0] * WORKERS
    errors = []

    def worker(n):
        try:
            start.wait()
            while checked := check_signatures(batch=7):
                checked_by[n] += checked
        except Exception as exc:  # surfaced below: a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sum(checked_by) == SIGNATURES
    assert Signature.objects.filter(state="fraudulent").count() == SIGNATURES // 2
    # Each fraudulent signature took its count back exactly once.
    counts_are_honest(petition)
    assert petition.signature_count == SIGNATURES // 2
