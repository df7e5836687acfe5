"""Run a job in several threads at once, as several worker processes would."""

import threading

from django.db import connections


def drain_in_parallel(job, *, workers: int = 4) -> list[int]:
    """Call `job()` in `workers` threads until it returns 0; return what each did.

    All threads start together; each has its own database connection, closed
    at the end. An exception in any thread fails the caller.
    """
    start = threading.Barrier(workers)
    done = [0] * workers
    errors = []

    def run(n):
        try:
            start.wait()
            while did := job():
                done[n] += did
        except Exception as exc:  # re-raised below: a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker thread hung"
    if errors:
        raise errors[0]
    return done
