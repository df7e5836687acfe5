"""Run a job in several threads at once, as several worker processes would, or
start real `outcry worker` processes against the test database."""

import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from django.db import connection, connections


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


def database_url() -> str:
    """The test database, as the worker processes' DATABASE_URL."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user = quote(s["USER"] or "", safe="") + (
        f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else ""
    )
    return f"postgres://{user}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def wait_for(condition, *, seconds: float, what: str, logs):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds}s for {what}; worker output:\n{logs()}")
        time.sleep(0.05)


@contextmanager
def worker_processes(tmp_path, **env):
    """Give `start(name)`, which starts an `outcry worker` with `env` added to its
    environment and its output in tmp_path; `start.logs()` reads every log. Any
    worker still running at the end is killed."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "outcry.settings",
        "DATABASE_URL": database_url(),
        "DEBUG": "0",
        **env,
    }
    workers = []

    def start(name: str) -> subprocess.Popen:
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115  (closed below)
        process = subprocess.Popen(  # noqa: S603  (our own interpreter and module)
            [sys.executable, "-m", "outcry", "worker"], env=env, stdout=log, stderr=log
        )
        workers.append((process, log))
        return process

    def logs() -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()}" for p in sorted(tmp_path.glob("*.log")))

    start.logs = logs
    try:
        yield start
    finally:
        for process, log in workers:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
            log.close()
