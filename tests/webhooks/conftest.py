"""A real HTTP receiver for webhook tests: http.server on 127.0.0.1, in a thread."""

import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from outcry.webhooks.models import Endpoint, Event
from tests import factories

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def documented_verify():
    """The `verify` function of docs/webhooks.md, so the guide is the code that is tested."""
    (code,) = re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102  (our own documentation)
    return namespace["verify"]


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # when it arrived (time.time())


class Receiver:
    """Answers each POST with the next of `answers` (status, extra headers), then 200.

    `hold` makes it keep the first request unanswered until `release` is set.
    """

    def __init__(self):
        self.requests: list[Request] = []
        self.answers: list[tuple[int, dict]] = []
        self.hold = False
        self.held_request: Request | None = None
        self.held = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = Request(self.path, dict(self.headers.items()), body, time.time())
                if receiver.hold and not receiver.held.is_set():
                    receiver.held_request = request
                    receiver.held.set()
                    receiver.release.wait(timeout=60)
                    return  # the client went away: no answer, not a delivery
                receiver.requests.append(request)
                status, headers = receiver.answers.pop(0) if receiver.answers else (200, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/outcry"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


@pytest.fixture
def org():
    return factories.organisation()


@pytest.fixture
def endpoint(org, receiver):
    return Endpoint.objects.create(
        organisation=org, url=receiver.url, events=[e.value for e in Event]
    )
