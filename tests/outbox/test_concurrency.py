import threading
from collections import Counter

import pytest
from django.db import connections

from outcry.outbox.models import Message
from outcry.outbox.services import deliver_due
from tests.outbox.builders import queued

WORKERS = 4
MESSAGES = 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_send_the_same_message_twice(smtp):
    messages = queued(MESSAGES)
    start = threading.Barrier(WORKERS)
    sent_by = [0] * WORKERS
    errors = []

    def worker(n):
        try:
            start.wait()
            while sent := deliver_due(limit=5):
                sent_by[n] += sent
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
    assert not any(thread.is_alive() for thread in threads)
    ids = Counter(smtp.message_ids())
    assert ids == Counter(f"<outbox-{m.pk}@127.0.0.1>" for m in messages)
    assert max(ids.values()) == 1
    assert sum(sent_by) == MESSAGES
    assert sum(1 for n in sent_by if n) > 1, f"only one worker got to send: {sent_by}"
    assert Message.objects.exclude(state=Message.State.SENT).count() == 0
    assert Message.objects.filter(leased_until__isnull=False).count() == 0
