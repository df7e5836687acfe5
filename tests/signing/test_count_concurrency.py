"""Several workers apply count changes at once (as several `outcry worker`
machines do): each change is counted exactly once."""

import pytest

from outcry.signing.models import CountDelta
from outcry.signing.services import apply_count_deltas
from tests import factories
from tests.workers import drain_in_parallel

WORKERS = 4
DELTAS = 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_apply_each_count_change_once():
    petitions = [factories.petition(), factories.petition()]
    CountDelta.objects.bulk_create(
        CountDelta(petition=petitions[i % 2], delta=1) for i in range(DELTAS)
    )

    applied_by = drain_in_parallel(lambda: apply_count_deltas(limit=3), workers=WORKERS)

    assert sum(applied_by) == DELTAS
    assert not CountDelta.objects.exists()
    for petition in petitions:
        petition.refresh_from_db()
        assert petition.signature_count == DELTAS // 2
