"""Why the load generator is a minimal client: `python -m bench.clients`.

Starts the ceiling app's GET under gunicorn and fetches it N times at 64
concurrent requests with each HTTP client that is installed (the bench's own,
on the stock asyncio loop and on uvloop; aiohttp; httpx), reporting the CPU
the client spends per request. That CPU is taken from the server under test
on a two-core machine, so the leanest client measures best.
"""

import asyncio
import base64
import hashlib
import json
import re
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import load
from bench.procs import Procs, free_port, wait_for_port
from bench.run import ROOT

N, CONCURRENCY = 6000, 64
WIDGET = re.compile(rb'<altcha-widget challenge="([^"]+)"')


def solve(challenge: dict) -> str:
    """The robot-check field a browser's widget sends for `challenge` (Outcry's JSON).

    Outcry issues one round of SHA-256 per number (outcry.guard.challenges), so the
    search hashes the fixed prefix once and copies it: a few microseconds a number,
    the CPU a visitor's phone spends, taken here from the machine under test.
    """
    p = challenge["parameters"]
    assert (p["algorithm"], p["cost"]) == ("SHA-256", 1), "the bench solves Outcry's kind only"
    start = hashlib.sha256(bytes.fromhex(p["salt"]) + bytes.fromhex(p["nonce"]))
    prefix, length = bytes.fromhex(p["keyPrefix"]), p.get("keyLength", 32)
    counter = 0
    while True:
        h = start.copy()
        h.update(struct.pack(">I", counter))
        key = h.digest()[:length]
        if key.startswith(prefix):
            solution = {"counter": counter, "derivedKey": key.hex()}
            payload = {"challenge": challenge, "solution": solution}
            return base64.b64encode(json.dumps(payload).encode()).decode()
        counter += 1


async def robot_check(client: "load.Client", page: bytes, action: str, headers: str) -> dict:
    """As the widget in the form posting to `action` does: fetch its challenge, solve it.
    An empty dict for a form without the widget, or if the challenge did not come."""
    start = page.find(f'action="{action}"'.encode())
    found = WIDGET.search(page, max(start, 0))
    if not found:
        return {}
    status, _head, body = await client.request("GET", found.group(1).decode(), headers)
    return {"altcha": solve(json.loads(body))} if status == 200 else {}


async def drive(fetch) -> None:
    left = [N]

    async def worker():
        while left[0] > 0:
            left[0] -= 1
            body = await fetch()
            assert load.CSRF_INPUT.search(body)

    await asyncio.gather(*[worker() for _ in range(CONCURRENCY)])


async def minimal(base: str) -> None:
    client = load.Client(base)

    async def fetch():
        return (await client.request("GET", "/en/petitions/x/"))[2]

    await drive(fetch)


async def with_aiohttp(base: str) -> None:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    jar = aiohttp.DummyCookieJar()
    async with aiohttp.ClientSession(connector=connector, cookie_jar=jar) as session:

        async def fetch():
            async with session.get(base + "/en/petitions/x/") as resp:
                return await resp.read()

        await drive(fetch)


async def with_httpx(base: str) -> None:
    import httpx

    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits) as client:

        async def fetch():
            return (await client.get(base + "/en/petitions/x/")).content

        await drive(fetch)


def measure(name: str, runner, base: str, uvloop: bool) -> str:
    code = (
        "import asyncio, time, sys\n"
        "from bench import clients, load\n"
        + ("load.install_uvloop()\n" if uvloop else "")
        + "t, c = time.perf_counter(), time.process_time()\n"
        f"asyncio.run(clients.{runner}({base!r}))\n"
        "print(time.perf_counter() - t, time.process_time() - c)\n"
    )
    done = subprocess.run(  # noqa: S603 (our own code)
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    if done.returncode:
        return f"{name:<28} not available ({done.stderr.strip().splitlines()[-1]})"
    wall, cpu = (float(x) for x in done.stdout.split())
    return (
        f"{name:<28} {cpu / N * 1000:5.2f} ms CPU/request   {N / wall:6,.0f} requests/s"
        f"   client used {cpu / wall:.2f} cores"
    )


def main() -> None:
    run_dir = Path(tempfile.mkdtemp(prefix="outcry-clients-", dir="/tmp"))
    procs = Procs(run_dir)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        server = procs.start(
            "ceiling",
            [sys.executable, "-m", "gunicorn", "-w", "4", "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", "bench.ceiling_app:app"],
            {"PATH": "/usr/bin:/bin", "BENCH_CEILING_DB": "sqlite:///unused"},
            cwd=str(ROOT),
        )  # fmt: skip
        wait_for_port(port, server)
        print(f"{N} GETs of the ceiling app's form page, {CONCURRENCY} at a time, 4 sync workers")
        for name, runner, uvloop in [
            ("minimal client + uvloop", "minimal", True),
            ("minimal client + asyncio", "minimal", False),
            ("aiohttp + asyncio", "with_aiohttp", False),
            ("httpx + asyncio", "with_httpx", False),
        ]:
            print(measure(name, runner, base, uvloop), flush=True)
    finally:
        procs.stop_all()
        time.sleep(0.1)
        for log in run_dir.iterdir():
            log.unlink()
        run_dir.rmdir()


if __name__ == "__main__":
    main()
