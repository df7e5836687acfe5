"""`outcry serve` with either WSGI server: pages, static files, the worker beside it,
and a clean stop on SIGTERM (what a process manager sends) and on Ctrl-C."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests import factories
from tests.workers import database_url

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (our own server)
        return response.status, response.read().decode()


def wait_until_up(url: str, process, log) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"outcry serve exited during start-up:\n{log.read_text()}")
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"outcry serve did not answer within 60 s:\n{log.read_text()}")


@pytest.mark.parametrize("server", ["granian", "gunicorn"])
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_with_the_worker_and_stops_cleanly(server, stop, tmp_path):
    petition = factories.petition()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "outcry.settings",
        "DATABASE_URL": database_url(),
        "DEBUG": "0",
        "WEB_CONCURRENCY": "1",
    }
    with open(log, "wb") as out:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "outcry", "serve", "--server", server, "--with-worker"]
            + ["--bind", f"127.0.0.1:{port}"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_up(f"{base}/static/outcry/embed.js", process, log)
            deadline = time.monotonic() + 30
            while "worker started" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
            status, page = get(f"{base}{petition.get_absolute_url()}")
            assert status == 200 and petition.title in page
            assert 'name="csrfmiddlewaretoken"' in page
            # Ctrl-C reaches the whole foreground group; a process manager signals the leader.
            if stop == signal.SIGINT:
                os.killpg(process.pid, stop)
            else:
                process.send_signal(stop)
            assert process.wait(timeout=60) == 0
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    output = log.read_text()
    assert "worker stopped" in output  # the outbox worker finished too
    if stop == signal.SIGTERM:  # graceful: requests in hand finish (Ctrl-C may cut them)
        assert "Traceback" not in output, output
