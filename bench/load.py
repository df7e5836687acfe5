"""A lean load generator: closed-loop "browsers" on one asyncio event loop.

Why this shape: the load generator shares the machine's two cores with the
server it measures, so every millisecond of CPU it spends per request is taken
from the server. Measured with `python -m bench.clients` on this machine, a
request costs the client about 1.7 ms of CPU with httpx, 0.4 ms with aiohttp,
and 0.1 ms with the minimal HTTP/1.1 client below on uvloop. One event loop
holds hundreds of clients without threads.

The client speaks exactly what a browser sends for these pages: a GET, then a
form POST with the cookie it was given, a Referer and an Origin. It asks for
`Connection: close`, which gunicorn's sync workers do anyway, and reads each
answer to the end. Each browser is a fresh visitor: it keeps no cookies between
visits; the csrftoken cookie and the form's token come from the page it just
loaded.
"""

import asyncio
import html
import json
import random
import re
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
INPUT = re.compile(rb"<input\b([^>]*)>", re.I)
ATTRIBUTE = re.compile(rb'([\w-]+)="([^"]*)"')
COOKIE = re.compile(rb"^set-cookie:\s*csrftoken=([^;\r\n]+)", re.I | re.M)
HEADERS = (
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) outcry-bench\r\n"
    "Accept: text/html,application/xhtml+xml\r\n"
    "Accept-Language: en\r\n"
    "Connection: close\r\n"
)
TIMEOUT = 60.0


class HTTPError(Exception):
    pass


def install_uvloop() -> str:
    """Use uvloop when it is installed (`make bench` installs it): the same event
    loop API at about half the CPU per request."""
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return f"uvloop {uvloop.__version__}"


class Client:
    """HTTP/1.1 over a fresh TCP connection per request, as gunicorn's sync worker serves it."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port or 80
        self.authority = parts.netloc

    async def request(
        self, method: str, path: str, headers: str = "", body: bytes = b""
    ) -> tuple[int, bytes, bytes]:
        """(status, raw header block, body). Raises OSError, TimeoutError or HTTPError."""
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.authority}\r\n{HEADERS}{headers}"
        if body:
            head += (
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n"
            )
        async with asyncio.timeout(TIMEOUT):
            reader, writer = await asyncio.open_connection(self.host, self.port)
            try:
                writer.write(head.encode() + b"\r\n" + body)
                data = await reader.read(-1)  # to the end: the server closes after answering
            finally:
                writer.close()
        header_block, sep, content = data.partition(b"\r\n\r\n")
        if not sep or not header_block.startswith(b"HTTP/1."):
            raise HTTPError("malformed response")
        status = int(header_block[9:12])
        length = re.search(rb"^content-length:\s*(\d+)", header_block, re.I | re.M)
        if length and len(content) != int(length.group(1)):
            raise HTTPError("truncated response")
        if re.search(rb"^transfer-encoding:\s*chunked", header_block, re.I | re.M):
            content = dechunk(content)
        return status, header_block, content


def form_fields(body: bytes, action: str = "") -> dict[str, str] | None:
    """What a browser sends from a page's POST form (the one whose action is `action`, or
    the first): hidden fields with their values, empty text fields, checked boxes.
    None if the page has no such form."""
    start = body.find(f'action="{action}"'.encode()) if action else -1
    if start < 0:
        start = body.find(b'method="post"')
    if start < 0:
        return None
    end = body.find(b"</form>", start)
    fields = {}
    for tag in INPUT.finditer(body, start, end if end > 0 else len(body)):
        attrs = {k.lower(): v for k, v in ATTRIBUTE.findall(tag.group(1))}
        name, kind = attrs.get(b"name"), attrs.get(b"type", b"text").lower()
        if not name or kind in (b"submit", b"button", b"image", b"file"):
            continue
        if kind in (b"checkbox", b"radio") and not re.search(rb"\schecked\b", tag.group(1)):
            continue
        value = attrs.get(b"value", b"" if kind not in (b"checkbox", b"radio") else b"on")
        fields[name.decode()] = html.unescape(value.decode())
    return fields


def dechunk(data: bytes) -> bytes:
    out, pos = [], 0
    while True:
        line_end = data.index(b"\r\n", pos)
        size = int(data[pos:line_end].split(b";")[0], 16)
        if size == 0:
            return b"".join(out)
        out.append(data[line_end + 2 : line_end + 2 + size])
        pos = line_end + 2 + size + 2


FAILURES = (OSError, TimeoutError, HTTPError, ValueError)


@dataclass
class Series:
    """Latencies (seconds) of the requests of one kind that started inside the window."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    kinds: Counter = field(default_factory=Counter)

    def ok(self, latency: float) -> None:
        self.latencies.append(latency)

    def fail(self, why: str) -> None:
        self.errors += 1
        self.kinds[why] += 1

    def pct(self, p: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    @property
    def count(self) -> int:
        return len(self.latencies)


@dataclass
class Window:
    """The measured part of a phase, in wall-clock (epoch) time; warm-up is left out."""

    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


class Browsers:
    """All the browser behaviours the bench needs, against one base URL."""

    def __init__(self, base: str):
        self.base = base
        self.client = Client(base)
        self.series: dict[str, Series] = {}
        # Failures of requests started outside the window: a stall that outlasts the
        # window leaves no measured request at all, and this says why.
        self.unmeasured: Counter = Counter()
        self.measuring = False
        self.finished = False
        self.seq = 0
        self.run_tag = secrets.token_hex(3)

    def record(self, kind: str) -> Series:
        return self.series.setdefault(kind, Series())

    async def _call(self, kind, expect, method, path, headers="", body=b""):
        """One request, timed and recorded under `kind`; the answer, or None on failure."""
        started = time.perf_counter()
        measuring = self.measuring
        try:
            status, head, content = await self.client.request(method, path, headers, body)
        except FAILURES as exc:
            if measuring:
                self.record(kind).fail(type(exc).__name__)
            else:
                self.unmeasured[f"{kind}: {type(exc).__name__}"] += 1
            return None
        if status != expect:
            if measuring:
                self.record(kind).fail(f"HTTP {status}")
            else:
                self.unmeasured[f"{kind}: HTTP {status}"] += 1
            return None
        if measuring:
            self.record(kind).ok(time.perf_counter() - started)
        return head, content

    async def _form_page(
        self, kind: str, path: str, action: str = "", headers: str = ""
    ) -> tuple[str, dict] | None:
        """Load a page; return its csrftoken cookie and what its form would send."""
        answer = await self._call(kind, 200, "GET", path, headers)
        if answer is None:
            return None
        cookie, fields = COOKIE.search(answer[0]), form_fields(answer[1], action)
        if not cookie or not fields or "csrfmiddlewaretoken" not in fields:
            if self.measuring:
                self.record(kind).fail("no form or CSRF token")
            return None
        from bench.clients import robot_check  # it imports this module

        fields.update(await robot_check(self.client, answer[1], action, headers))
        return cookie.group(1).decode(), fields

    async def _post(self, kind: str, path: str, form: dict, cookie: str, headers: str = "") -> None:
        headers += (
            f"Referer: {self.base}{path}\r\nOrigin: {self.base}\r\nCookie: csrftoken={cookie}\r\n"
        )
        await self._call(kind, 302, "POST", path, headers, urlencode(form).encode())

    def visitor(self) -> str:
        """Each visitor comes from an address of its own, as seen by a load balancer in
        front of Outcry (the bench sets TRUST_X_FORWARDED_FOR=1)."""
        address = ".".join(str(random.randrange(256)) for _ in range(3))
        return f"X-Forwarded-For: 10.{address}\r\n"

    async def sign(self, slug: str, prefix: str = "/en") -> None:
        """Load the petition page, then post its sign form, filled in with a new address."""
        action = f"{prefix}/petitions/{slug}/sign/"
        who = self.visitor()
        form_page = await self._form_page("page", f"{prefix}/petitions/{slug}/", action, who)
        if form_page is None:
            return
        cookie, form = form_page
        self.seq += 1
        # Random first, so new addresses land all over the unique index like real ones.
        email = f"{secrets.token_hex(4)}.{self.run_tag}.{self.seq}@bench.example"
        form.update(
            name=f"Bench Signer {self.seq}",
            email=email,
            country="PE",
            postcode="",
            name_display="full",
        )
        await self._post("sign", action, form, cookie, who)

    async def confirm(self, path: str) -> None:
        """Open a confirmation link, then press its button."""
        who = self.visitor()
        form_page = await self._form_page("confirm_page", path, "", who)
        if form_page is not None:
            await self._post("confirm", path, form_page[1], form_page[0], who)

    async def page(self, slug: str) -> None:
        await self._call("reader_page", 200, "GET", f"/en/petitions/{slug}/")

    async def count(self, slug: str) -> int | None:
        answer = await self._call("count", 200, "GET", f"/petitions/{slug}/count.json")
        if answer is None:
            return None
        try:
            return json.loads(answer[1])["signature_count"]
        except (ValueError, KeyError):
            self.record("count").fail("bad JSON")
            return None


Action = Callable[[Browsers], Awaitable[None]]


async def run_phase(
    base: str,
    clients: list[tuple[int, Action]],
    *,
    seconds: float,
    warmup: float,
    samplers: list[Action] = (),
    at_start: Callable[[], None] = lambda: None,
    at_end: Callable[[], None] = lambda: None,
) -> tuple[Browsers, Window]:
    """Run closed-loop clients for warmup + seconds; requests started in the window count.

    `clients` is a list of (how many, action); each client repeats its action
    back to back. Samplers run once each and return when `browsers.finished`.
    `at_start` and `at_end` run as the window opens and closes.
    """
    browsers = Browsers(base)
    loop_end = time.perf_counter() + warmup + seconds

    async def client(action: Action, delay: float) -> None:
        # Start spread over the first half of the warm-up, as visitors arrive, so
        # hundreds of clients do not move through the page and the POST in step.
        await asyncio.sleep(delay)
        while time.perf_counter() < loop_end:
            await action(browsers)

    async def clock() -> Window:
        await asyncio.sleep(warmup)
        at_start()
        browsers.measuring = True
        start = time.time()
        await asyncio.sleep(seconds)
        browsers.measuring = False
        end = time.time()
        at_end()
        browsers.finished = True
        return Window(start, end)

    tasks = [
        asyncio.create_task(client(a, random.uniform(0, warmup / 2)))
        for n, a in clients
        for _ in range(n)
    ]
    tasks += [asyncio.create_task(s(browsers)) for s in samplers]
    window = await clock()
    await asyncio.gather(*tasks)
    return browsers, window


async def probe(base: str, path: str, tries: int = 150) -> None:
    """Wait until the server answers `path` with 200 (it may still be warming up)."""
    client = Client(base)
    for _ in range(tries):
        try:
            status, _, _ = await client.request("GET", path)
            if status == 200:
                return
        except FAILURES:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{base}{path} never answered 200")
