"""Two app servers and two workers on one PostgreSQL and one Redis, under load:
no signature, count or e-mail is lost or doubled.

Real `outcry serve` and `outcry worker` processes (tests/scaleout/conftest.py)
and browser-like clients (bench/load.py's HTTP client) that load a page from
one server and often post its form to the other, as behind a load balancer
without sticky sessions. Some addresses sign twice at once through both
servers, some sign again after confirming; confirmation links are pressed
once, twice, or twice at once on both servers. One worker is killed with
SIGKILL while it is sending, in the middle of the load.

Afterwards, once the workers have drained the outbox and applied the counts:
one signature per address posted, every e-mail received exactly once (counted
by Message-ID), the count on both servers equal to the confirmed signatures,
`outcry reconcile` with nothing to correct, no outbox row unsent or failed,
and every POST to either server counted once in the rate limits they share
in Redis.
"""

import asyncio
import json
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
import redis
from django.utils.crypto import salted_hmac

from bench import load
from bench.clients import robot_check

PETITION = "two-servers"
SIGN_PAGE = f"/en/petitions/{PETITION}/"
SIGN_ACTION = f"/en/petitions/{PETITION}/sign/"
SINGLES, TWINS, RETURNERS = 64, 12, 8
CONCURRENT_REQUESTS = 16
KILL_AFTER_MESSAGES = 20  # the worker sending the next message is killed mid-send
MAIL_WAIT = 40  # seconds an address waits for its e-mail: a lease (6 s) and then some
CONFIRM_SUBJECT = "Confirm your signature: Two servers, one count"
ALREADY_SUBJECT = "You have already signed: Two servers, one count"

SETUP = """
from datetime import timedelta
from django.utils import timezone
from outcry.campaigns.models import Organisation, Petition, Target

org = Organisation.objects.create(name="Scale-out", slug="scale-out")
Petition.objects.create(
    organisation=org,
    slug="two-servers",
    title="Two servers, one count",
    goal="Count every signature once",
    body="Signed through two app servers.",
    letter="Dear Minister,\\n\\nPlease act.",
    target=Target.objects.create(organisation=org, name="A Minister", role="Minister"),
    published_at=timezone.now() - timedelta(days=1),
)
"""

# What the database holds afterwards, read with the application's own keys.
REPORT = """
import json
from outcry.campaigns.models import Petition
from outcry.outbox.models import Message
from outcry.outbox.services import message_id_domain
from outcry.signing.models import CountDelta, Signature

petition = Petition.objects.get(slug="two-servers")
print(json.dumps({
    "signatures": [[s.email, s.state] for s in Signature.objects.filter(petition=petition)],
    "messages": [
        [f"<outbox-{m.pk}@{message_id_domain()}>", m.to, m.state] for m in Message.objects.all()
    ],
    "count": petition.signature_count,
    "deltas": CountDelta.objects.count(),
}))
"""


# Mail not yet sent and count changes not yet applied: the workers' backlog.
WAITING = (
    "SELECT (SELECT count(*) FROM outbox_message WHERE state = 'queued')"
    " + (SELECT count(*) FROM signing_countdelta)"
)


def fill_sign_form(fields: dict, *, email: str, name: str) -> dict:
    """What a person types into the sign form whose hidden fields a page gave: the one
    place that knows the form, for whatever else a browser must add to it."""
    return {**fields, "name": name, "email": email, "country": "PE", "name_display": "full"}


class Browsers:
    """Fresh visitors on either server; at most CONCURRENT_REQUESTS requests at once."""

    def __init__(self, bases: list[str]):
        self.bases = bases
        self.clients = [load.Client(base) for base in bases]
        self.slots = asyncio.Semaphore(CONCURRENT_REQUESTS)
        self.statuses: Counter = Counter()

    async def request(self, server: int, method: str, path: str, headers="", body=b""):
        async with self.slots:
            status, head, content = await self.clients[server].request(method, path, headers, body)
        self.statuses[(method, path.split("/")[2], status)] += 1
        return status, head, content

    async def form(self, server: int, path: str, action: str = "") -> tuple[int, str, dict]:
        """Open a page: (status, its csrftoken cookie, what its form would send)."""
        status, head, content = await self.request(server, "GET", path)
        cookie = load.COOKIE.search(head)
        fields = load.form_fields(content, action) if status == 200 else None
        if fields:  # the robot check, as the widget does it: fetch the challenge, solve it
            fields.update(await robot_check(self.clients[server], content, action, ""))
        return status, cookie.group(1).decode() if cookie else "", fields or {}

    async def post(self, server: int, path: str, form: dict, cookie: str) -> int:
        base = self.bases[server]
        headers = f"Referer: {base}{path}\r\nOrigin: {base}\r\nCookie: csrftoken={cookie}\r\n"
        status, _, _ = await self.request(server, "POST", path, headers, urlencode(form).encode())
        return status

    async def sign(self, email: str, *, page: int, post: int) -> None:
        """Load the petition from server `page`, post the form to server `post`."""
        status, cookie, fields = await self.form(page, SIGN_PAGE, SIGN_ACTION)
        assert status == 200 and "csrfmiddlewaretoken" in fields, f"sign page {status}"
        form = fill_sign_form(fields, email=email, name=f"Signer {email.split('@')[0]}")
        assert await self.post(post, SIGN_ACTION, form, cookie) == 302, f"sign of {email}"

    async def open_link(self, server: int, url: str) -> tuple[int, str, dict]:
        return await self.form(server, url.removeprefix(self.bases[0]))

    async def press(self, server: int, url: str, opened: tuple[int, str, dict]) -> int:
        return await self.post(server, url.removeprefix(self.bases[0]), opened[2], opened[1])


class Mail:
    """The SMTP server's accepted messages, by recipient."""

    def __init__(self, smtp):
        self.smtp = smtp

    def to(self, address: str) -> list:
        return [e.message for e in list(self.smtp.received) if address in e.rcpt_tos]

    async def wait(self, address: str, n: int) -> list:
        for _ in range(MAIL_WAIT * 20):
            if len(messages := self.to(address)) >= n:
                return messages
            await asyncio.sleep(0.05)
        pytest.fail(f"{address} got {len(self.to(address))} e-mails, not {n}, in {MAIL_WAIT}s")

    @staticmethod
    def link(message) -> str:
        text = message.get_body(("plain",)).get_content()
        return re.search(r"(http://\S+/confirm/[^\s/]+/)", text).group(1)


async def load_and_kill(cluster) -> dict:
    """Run every visitor at once and kill a worker mid-send; what each address expects."""
    browsers, mail = Browsers(cluster.bases), Mail(cluster.smtp)
    expected: dict[str, dict] = {}

    def address(kind: str, n: int, *, confirmed: bool, subjects: list[str]) -> str:
        email = f"{kind}{n}@scaleout.example"
        expected[email] = {"confirmed": confirmed, "subjects": Counter(subjects)}
        return email

    async def single(n: int) -> None:
        how = ("unconfirmed", "once", "again later", "twice at once")[n % 4]
        email = address("single", n, confirmed=how != "unconfirmed", subjects=[CONFIRM_SUBJECT])
        await browsers.sign(email, page=n % 2, post=(n // 2) % 2)
        if how == "unconfirmed":
            return
        link = Mail.link((await mail.wait(email, 1))[0])
        mine, other = n % 2, (n + 1) % 2
        if how == "twice at once":  # both pages open, both buttons pressed together
            pages = await asyncio.gather(*(browsers.open_link(s, link) for s in (0, 1)))
            assert [p[0] for p in pages] == [200, 200]
            presses = await asyncio.gather(*(browsers.press(s, link, pages[s]) for s in (0, 1)))
            assert sorted(presses) == [302, 404], f"{email} pressed twice at once: {presses}"
            return
        opened = await browsers.open_link(mine, link)
        assert await browsers.press(mine, link, opened) == 302
        if how == "again later":  # the used link, on the other server: a page that says so
            assert (await browsers.open_link(other, link))[0] == 404
            assert await browsers.press(other, link, opened) == 404

    async def twin(n: int) -> None:
        """The same address signs twice at once, once through each server."""
        email = address("twin", n, confirmed=n % 3 != 0, subjects=[CONFIRM_SUBJECT] * 2)
        await asyncio.gather(*(browsers.sign(email, page=s, post=s) for s in (0, 1)))
        links = [Mail.link(m) for m in await mail.wait(email, 2)]
        pages = [await browsers.open_link(s, link) for s, link in enumerate(links)]
        working = [(s, link, p) for s, (link, p) in enumerate(zip(links, pages, strict=True))
                   if p[0] == 200]  # fmt: skip
        # The second signing sent a fresh link: the first no longer works.
        assert sorted(p[0] for p in pages) == [200, 404], f"{email}: {[p[0] for p in pages]}"
        if expected[email]["confirmed"]:
            s, link, page = working[0]
            assert await browsers.press(s, link, page) == 302

    async def returner(n: int) -> None:
        """Confirms, then signs again through the other server: told by e-mail, not on the page."""
        email = address("returner", n, confirmed=True, subjects=[CONFIRM_SUBJECT, ALREADY_SUBJECT])
        await browsers.sign(email, page=n % 2, post=n % 2)
        link = Mail.link((await mail.wait(email, 1))[0])
        assert await browsers.press(n % 2, link, await browsers.open_link(n % 2, link)) == 302
        await browsers.sign(email, page=(n + 1) % 2, post=(n + 1) % 2)
        await mail.wait(email, 2)

    async def kill_a_worker() -> str:
        for _ in range(MAIL_WAIT * 20):
            if len(cluster.smtp.received) >= KILL_AFTER_MESSAGES:
                break
            await asyncio.sleep(0.05)
        handler = cluster.smtp.handler
        handler.arm()
        for _ in range(MAIL_WAIT * 20):
            if handler.held_peer is not None:
                break
            await asyncio.sleep(0.05)
        assert handler.held_peer is not None, f"no message to hold; logs:\n{cluster.logs()}"
        killed = cluster.kill_worker_holding(handler.held_peer[1])
        handler.released = True  # answered 451 to a dead socket: not a delivery
        return killed.name

    visitors = [single(n) for n in range(SINGLES)]
    visitors += [twin(n) for n in range(TWINS)]
    visitors += [returner(n) for n in range(RETURNERS)]
    killed, *_ = await asyncio.gather(kill_a_worker(), *visitors)
    return {"expected": expected, "killed": killed, "statuses": browsers.statuses}


def shown_counts(cluster) -> list[int]:
    """The count on each server's petition page and in its count JSON."""

    async def read(server: int) -> list[int]:
        client = load.Client(cluster.bases[server])
        status, _, page = await client.request("GET", SIGN_PAGE)
        assert status == 200
        status, _, body = await client.request("GET", f"/petitions/{PETITION}/count.json")
        assert status == 200
        shown = re.search(rb"<strong data-count>([\d,]+)</strong>", page).group(1)
        return [int(shown.replace(b",", b"")), json.loads(body)["signature_count"]]

    return [n for server in (0, 1) for n in run_loop(read(server))]


def run_loop(coroutine):
    """asyncio.run() in a thread of its own: the browser tests' Playwright (sync API)
    keeps an event loop running in this one for the whole session."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def rate_limit_hits(cluster, kind: str) -> int:
    """POSTs of `kind` from 127.0.0.1 that both servers counted together in Redis; the
    counters are removed on the way (keyed like outcry.guard.limits and provenance)."""
    ip = salted_hmac(
        "outcry.signing.ip", "127.0.0.1", secret=cluster.env["SECRET_KEY"], algorithm="sha256"
    ).hexdigest()
    client = redis.Redis.from_url(cluster.env["CACHE_URL"])
    try:
        prefix = cluster.env["CACHE_KEY_PREFIX"]
        keys = list(client.scan_iter(f"{prefix}:1:outcry:limit:{kind}:{ip}:*"))
        hits = sum(int(client.get(key)) for key in keys)
        client.delete(*keys)
    finally:
        client.close()
    return hits


def test_two_servers_and_two_workers_count_and_mail_everything_exactly_once(cluster):
    cluster.outcry("shell", "--no-imports", "-c", SETUP)
    run = run_loop(load_and_kill(cluster))
    expected = run["expected"]
    confirmed = sorted(e for e, x in expected.items() if x["confirmed"])

    survivor = next(w for w in cluster.workers if w.name != run["killed"])
    assert survivor.popen.poll() is None, f"the other worker stopped:\n{cluster.logs()}"
    cluster.wait_for(
        lambda: cluster.query(WAITING)[0][0] == 0,
        seconds=30,
        what="the surviving worker to send all mail and apply all counts",
    )
    report = json.loads(cluster.outcry("shell", "--no-imports", "-c", REPORT))

    # Signatures: one per address posted, none lost, none twice; confirmed as pressed.
    assert sorted(email for email, _ in report["signatures"]) == sorted(expected)
    assert sorted(e for e, state in report["signatures"] if state == "confirmed") == confirmed
    assert {state for _, state in report["signatures"]} <= {"confirmed", "pending"}

    # E-mail: every outbox row sent, each accepted by the SMTP server exactly once.
    assert Counter(state for *_, state in report["messages"]) == {"sent": len(report["messages"])}
    received = Counter(cluster.smtp.message_ids())
    assert [mid for mid, n in received.items() if n > 1] == [], "a message was sent twice"
    assert set(received) == {mid for mid, *_ in report["messages"]}
    for email, x in expected.items():
        subjects = Counter(str(m["Subject"]) for m in Mail(cluster.smtp).to(email))
        assert subjects == x["subjects"], email

    # Counts: the same number everywhere, and nothing for reconcile to correct.
    assert (report["count"], report["deltas"]) == (len(confirmed), 0)
    # Pages and count JSON come from the shared page cache: at most 10 s behind.
    cluster.wait_for(
        lambda: shown_counts(cluster) == [len(confirmed)] * 4,
        seconds=10,
        what="both servers' pages and count JSON to show the confirmed count",
    )
    assert cluster.outcry("reconcile").strip() == "All counts are right."

    # Rate limits: one count in Redis for both servers, every POST in it once.
    posts = Counter()
    for (method, kind, _), n in run["statuses"].items():
        posts[kind] += n if method == "POST" else 0
    assert not any(status == 429 or status >= 500 for *_, status in run["statuses"])
    assert rate_limit_hits(cluster, "sign") == posts["petitions"]
    assert rate_limit_hits(cluster, "confirm") == posts["confirm"]
