from collections import Counter

import pytest

from outcry.outbox.models import Message
from outcry.outbox.services import deliver_due
from tests.outbox.builders import queued
from tests.workers import drain_in_parallel

WORKERS = 4
MESSAGES = 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_send_the_same_message_twice(smtp):
    messages = queued(MESSAGES)
    sent_by = drain_in_parallel(lambda: deliver_due(limit=5), workers=WORKERS)

    ids = Counter(smtp.message_ids())
    assert ids == Counter(f"<outbox-{m.pk}@127.0.0.1>" for m in messages)
    assert max(ids.values()) == 1
    assert sum(sent_by) == MESSAGES
    assert sum(1 for n in sent_by if n) > 1, f"only one worker got to send: {sent_by}"
    assert Message.objects.exclude(state=Message.State.SENT).count() == 0
    assert Message.objects.filter(leased_until__isnull=False).count() == 0
