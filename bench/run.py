"""`make bench`: Outcry's production server and worker under browser-like load, one table.

For each database (BENCH_DB=sqlite|postgres|both, default both) the bench
makes a fresh install in a new var dir under /tmp, starts `outcry serve` and
`outcry worker` in their own process groups, and runs these phases against
127.0.0.1 only:

  sign      browsers sign the demo petition at 16, 64 and 256 concurrent clients
  read      page readers and count-JSON pollers while 64 browsers sign
  confirm   browsers confirm the links the sign phases queued; the count JSON is
            sampled meanwhile to see how far it trails the database
  growth    sign and page latency with 0, 1M (and with BENCH_FULL=1, 5M)
            confirmed signatures on a petition
  outbox    e-mail delivered to a local SMTP server by one, then two workers
  ceiling   a minimal WSGI app (one INSERT per POST) under the same WSGI server
            settings, driven by the same browsers
  export    the signature CSV and the delivery PDF of a petition with 1M confirmed
            signatures, each in a child process: time and peak memory (bench/exports.py)

Environment: BENCH_SECONDS (measured seconds per phase, 10), BENCH_WARMUP (2),
BENCH_REPEAT (runs of the 64-client sign and ceiling phases, 3; medians shown),
BENCH_FULL=1 (adds the 5M growth step), BENCH_GROWTH (sizes instead, e.g. "0,100000"),
BENCH_PHASES (some of sign,read,confirm,growth,outbox,ceiling,export; all by default),
BENCH_ONLY=exports (the export rows alone: no server, no load; BENCH_PHASES=export),
BENCH_PG_DB (the PostgreSQL database the bench creates and drops, outcry_bench),
BENCH_KEEP=1 (keeps the var dir and its logs), BENCH_QUIET_WAIT (seconds to wait, 30,
before each phase for other processes on the machine to go quiet; BENCH_QUIET_BUDGET,
180, for the whole run), BENCH_PORTS (e.g. "8400-8449": the ports it may listen on).
"""

import asyncio
import os
import platform
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from bisect import bisect_right
from importlib.metadata import version
from pathlib import Path
from statistics import median

from cryptography.fernet import Fernet

from bench import ceiling_app, cpu, exports, load, report
from bench.db import Database, Postgres, SQLite
from bench.procs import Procs, free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
OUTCRY = str(Path(PYTHON).parent / "outcry")
SIGN_CLIENTS = (16, 64, 256)
PHASES = ("sign", "read", "confirm", "growth", "outbox", "ceiling", "export")
HEADLINE = 64
READERS = (64, 16)  # page readers, count-JSON pollers, beside HEADLINE signers
GROWTH_CLIENTS = 16
OUTBOX_QUEUE = 30_000
CONFIRM_POOL = 15_000
NOISY = 0.25  # cores used by other processes that mark a measured window as disturbed
# Settings the bench gives the server, and why; the table's header lists them.
BENCH_SETTINGS = {
    # Every browser sends its own address in X-Forwarded-For, as behind a load
    # balancer, so per-IP rate limits and fraud rules see visitors, not the bench.
    "TRUST_X_FORWARDED_FOR": "1",
    # Closed-loop browsers post at once; people take longer than the robot check's minimum.
    "FORM_MIN_FILL_SECONDS": "0",
    # The robot check's proof-of-work runs in each visitor's own browser; here the
    # browsers share the server's two cores, so they solve a small one (about 0.5 ms),
    # and the bench's steady rate must not count as a surge.
    "ALTCHA_MAX_NUMBER": "1000",
    "ALTCHA_SURGE_PER_MINUTE": "1000000000",
}
ALLOW_BENCH_DOMAIN = """
from outcry.campaigns.models import Organisation
from outcry.fraud.models import ListEntry
for organisation in Organisation.objects.all():
    ListEntry.objects.create(
        organisation=organisation, kind="domain", value="bench.example", allow=True, note="bench"
    )
"""
# Settings the bench sets itself; inherited values would make runs incomparable.
CLEARED_PREFIXES = ("RATE_LIMIT_", "FRAUD_", "FORM_", "ALTCHA_", "TRUST_X_FORWARDED")
CLEARED = (
    "DATABASE_URL",
    "EMAIL_URL",
    "CACHE_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "HTTPS",
    "MEDIA_ROOT",
    "SITE_URL",
    "BIND",
    "ACCESS_LOG",
)


def env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        sys.exit(f"{name} must be a number; got {raw!r}")


class Config:
    def __init__(self):
        self.seconds = env_number("BENCH_SECONDS", 10)
        self.warmup = env_number("BENCH_WARMUP", 2)
        self.repeat = max(1, int(env_number("BENCH_REPEAT", 3)))
        self.full = os.environ.get("BENCH_FULL", "") not in ("", "0")
        self.keep = os.environ.get("BENCH_KEEP", "") not in ("", "0")
        self.quiet_wait = env_number("BENCH_QUIET_WAIT", 30)
        self.quiet_budget = [env_number("BENCH_QUIET_BUDGET", 180)]  # seconds left, shared
        choice = os.environ.get("BENCH_DB", "both").strip() or "both"
        if choice not in ("sqlite", "postgres", "both"):
            sys.exit(f"BENCH_DB must be sqlite, postgres or both; got {choice!r}")
        self.dbs = ["sqlite", "postgres"] if choice == "both" else [choice]
        cores = os.cpu_count() or 1
        self.web_workers = int(os.environ.get("WEB_CONCURRENCY") or cores * 2)
        self.web_threads = int(os.environ.get("WEB_THREADS") or 1)
        self.bench_settings = BENCH_SETTINGS
        self.phases = os.environ.get("BENCH_PHASES", "").replace(" ", "").split(",")
        if os.environ.get("BENCH_ONLY", "").strip() == "exports":
            self.phases = ["export"]
        if self.phases == [""]:
            self.phases = list(PHASES)
        if unknown := set(self.phases) - set(PHASES):
            sys.exit(f"BENCH_PHASES: unknown phase(s) {', '.join(sorted(unknown))}")
        self.growth = [0, 1_000_000] + ([5_000_000] if self.full else [])
        if os.environ.get("BENCH_GROWTH", "").strip():  # e.g. "0,100000" for a quick try
            self.growth = sorted({int(x) for x in os.environ["BENCH_GROWTH"].split(",")} | {0})


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class DatabaseBench:
    """One database's run: install, serve, measure every phase, stop."""

    def __init__(self, db: Database, var: Path, procs: Procs, cfg: Config):
        self.db, self.var, self.procs, self.cfg = db, var, procs, cfg
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in CLEARED and not k.startswith(CLEARED_PREFIXES)
        }
        self.env.update(BENCH_SETTINGS)
        # Keys of the fresh install, known to the bench so its bulk loads are encrypted
        # and digested the way the app writes rows.
        self.env.update(
            ENCRYPTION_KEYS=Fernet.generate_key().decode(), LOOKUP_KEY=secrets.token_urlsafe(48)
        )
        db.keys = (self.env["ENCRYPTION_KEYS"], self.env["LOOKUP_KEY"])
        self.env.update(
            OUTCRY_VAR_DIR=str(var),
            DATABASE_URL=db.url,
            SITE_URL=self.base,
            BIND=f"127.0.0.1:{self.port}",
            DEBUG="0",
            LOG_LEVEL="WARNING",
            WEB_CONCURRENCY=str(cfg.web_workers),
            WEB_THREADS=str(cfg.web_threads),
        )
        self.web = None
        self.workers = []
        self.pg_name = getattr(db, "name", None)
        self.result: dict = {"notes": [], "cpu": {}}

    # Processes -----------------------------------------------------------------------

    def outcry(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603 (our own argv)
            [OUTCRY, *args], env=self.env, capture_output=True, text=True, timeout=900
        )
        if done.returncode:
            raise RuntimeError(f"outcry {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def start_web(self) -> None:
        self.web = self.procs.start(f"web-{self.db.vendor}", [OUTCRY, "serve"], self.env)
        wait_for_port(self.port, self.web)
        asyncio.run(load.probe(self.base, f"/en/petitions/{self.slug}/"))

    def start_workers(self, n: int = 1, **extra: str) -> None:
        env = {**self.env, **extra}
        for i in range(n):
            name = f"worker{i + 1}-{self.db.vendor}"
            self.workers.append(self.procs.start(name, [OUTCRY, "worker"], env))

    def stop_workers(self) -> None:
        for proc in self.workers:
            self.procs.stop(proc)
        self.workers = []

    def groups(self) -> dict[str, list[int]]:
        groups = {"web": [self.web.pgid] if self.web else []}
        groups["worker"] = [w.pgid for w in self.workers]
        groups.update({p.name: [p.pgid] for p in self.procs.running if p.name.startswith("smtp")})
        return groups

    def drain(self, timeout: float = 30) -> None:
        """Let the worker finish the e-mail of the last phase, so phases do not overlap."""
        end = time.monotonic() + timeout
        while self.workers and time.monotonic() < end and self.db.queued():
            time.sleep(0.25)

    # Phases --------------------------------------------------------------------------

    def wait_quiet(self) -> None:
        """Other work on the machine (someone's test run) skews every figure: give it up
        to BENCH_QUIET_WAIT seconds to finish before a phase, within a budget for the
        whole run (BENCH_QUIET_BUDGET). What remains is flagged in the table."""
        started = time.monotonic()
        end = started + min(self.cfg.quiet_wait, self.cfg.quiet_budget[0])
        while True:
            before = cpu.snapshot()
            time.sleep(0.5)
            other = cpu.usage(before, cpu.snapshot(), self.groups(), self.pg_name)["other"]
            if other < 0.15 or time.monotonic() > end:
                break
        self.cfg.quiet_budget[0] -= time.monotonic() - started

    def phase(self, name: str, clients, *, samplers=(), seconds=None):
        self.wait_quiet()
        marks = {}
        # Many clients take longer to reach a steady state: each waits in the queue.
        total = sum(n for n, _ in clients)
        warmup = self.cfg.warmup * max(1.0, total / 64)
        browsers, window = asyncio.run(
            load.run_phase(
                self.base,
                clients,
                seconds=seconds or self.cfg.seconds,
                warmup=warmup,
                samplers=samplers,
                at_start=lambda: marks.setdefault("start", cpu.snapshot()),
                at_end=lambda: marks.setdefault("end", cpu.snapshot()),
            )
        )
        use = cpu.usage(marks["start"], marks["end"], self.groups(), self.pg_name)
        cpus = self.result["cpu"]
        cpus[
            name if name not in cpus else f"{name} #{sum(k.startswith(name) for k in cpus) + 1}"
        ] = use
        return browsers, window, use

    def sign(self, name: str, clients: int, slug: str, petition: int) -> dict:
        browsers, window, use = self.phase(name, [(clients, lambda b: b.sign(slug))])
        return self.sign_figures(
            browsers, window, self.db.signed_between(petition, window.start, window.end), use
        )

    @staticmethod
    def sign_figures(browsers, window, stored: int, use) -> dict:
        post = browsers.record("sign")
        page = browsers.record("page")
        kinds = post.kinds + page.kinds
        return {
            "rate": stored / window.seconds,
            "acked": post.count / window.seconds,
            "p50": post.pct(50),
            "p99": post.pct(99),
            "page_p50": page.pct(50),
            "page_p99": page.pct(99),
            "errors": post.errors + page.errors,
            "kinds": dict(kinds),
            "unmeasured": dict(browsers.unmeasured),
            "cpu": use,
        }

    def run_sign(self) -> None:
        out = self.result["sign"] = {}
        for clients in SIGN_CLIENTS:
            runs = []
            for i in range(self.cfg.repeat if clients == HEADLINE else 1):
                say(f"{self.db.label}: sign, {clients} clients (run {i + 1})")
                runs.append(self.sign(f"sign@{clients}", clients, self.slug, self.petition))
                self.drain()
            out[clients] = summarise(runs)

    def run_read(self) -> None:
        say(f"{self.db.label}: read while {HEADLINE} browsers sign")
        slug = self.slug
        browsers, window, use = self.phase(
            "read",
            [
                (HEADLINE, lambda b: b.sign(slug)),
                (READERS[0], lambda b: b.page(slug)),
                (READERS[1], lambda b: b.count(slug)),
            ],
        )
        stored = self.db.signed_between(self.petition, window.start, window.end)
        signing = self.sign_figures(browsers, window, stored, use)
        reader = browsers.record("reader_page")
        count = browsers.record("count")
        self.result["read"] = {
            "sign_rate": signing["rate"],
            "page_rate": (reader.count + browsers.record("page").count) / window.seconds,
            "reader_rate": reader.count / window.seconds,
            "page_p50": reader.pct(50),
            "page_p99": reader.pct(99),
            "count_rate": count.count / window.seconds,
            "count_p50": count.pct(50),
            "count_p99": count.pct(99),
            "errors": signing["errors"] + reader.errors + count.errors,
            "kinds": {**signing["kinds"], **reader.kinds, **count.kinds},
            "cpu": use,
        }
        self.drain()

    def run_confirm(self) -> None:
        paths = self.db.confirm_paths(self.petition)
        from_mail = len(paths)
        if from_mail < CONFIRM_POOL:
            # Confirming is quicker than signing: top the pool up with pending
            # signatures made here, whose links work exactly like mailed ones.
            paths += self.db.pending_signatures(self.petition, 10**9, CONFIRM_POOL - from_mail)
        random.shuffle(paths)
        say(
            f"{self.db.label}: confirm ({from_mail} links from the outbox, "
            f"{len(paths) - from_mail} added), count JSON sampled"
        )
        slug = self.slug
        samples: list[tuple[float, int]] = []
        ran_dry = []

        async def confirm(b: load.Browsers) -> None:
            if paths:
                await b.confirm(paths.pop())
            else:
                ran_dry.append(time.time())
                await asyncio.sleep(0.05)

        async def sample_count(b: load.Browsers) -> None:
            while not b.finished:
                if b.measuring:
                    value = await b.count(slug)
                    if value is not None:
                        samples.append((time.time(), value))
                await asyncio.sleep(0.1)

        browsers, window, use = self.phase(
            "confirm", [(HEADLINE, confirm)], samplers=[sample_count]
        )
        confirmed = self.db.confirmed_between(window.start, window.end)
        post, page = browsers.record("confirm"), browsers.record("confirm_page")
        self.result["confirm"] = {
            "rate": confirmed / window.seconds,
            "p50": post.pct(50),
            "p99": post.pct(99),
            "errors": post.errors + page.errors,
            "kinds": dict(post.kinds + page.kinds),
            "cpu": use,
        }
        if ran_dry and ran_dry[0] < window.end:
            self.result["notes"].append(
                f"confirm ran out of links {window.end - ran_dry[0]:.1f} s before the window "
                "closed: its rate is a lower bound"
            )
        # Wait for the worker to add the last confirmations, then compare.
        time.sleep(3)
        times = self.db.confirmed_times(self.petition)
        lag = gap = 0.0
        for at, shown in samples:
            gap = max(gap, bisect_right(times, at) - shown)
            if shown < len(times) and times[shown] < at:
                lag = max(lag, at - times[shown])
        final = asyncio.run(self.final_count())
        self.result["fresh"] = {
            "lag": lag,
            "gap": gap,
            "samples": len(samples),
            "settled": final == len(times),
        }
        self.drain()

    async def final_count(self) -> int | None:
        return await load.Browsers(self.base).count(self.slug)

    def run_growth(self) -> None:
        slug = "bench-growth"
        petition = self.db.clone_petition(self.slug, slug)
        out = self.result["growth"] = {}
        loaded = 0
        for size in self.cfg.growth:
            step = {}
            if size > loaded:
                say(f"{self.db.label}: loading {size - loaded:,} confirmed signatures")
                started = time.monotonic()
                self.db.bulk_signatures(petition, loaded, size - loaded)
                step["load_s"] = time.monotonic() - started
                started = time.monotonic()
                self.outcry("reconcile")
                step["reconcile_s"] = time.monotonic() - started
                loaded = size
                shown = self.db.scalar(
                    "SELECT signature_count FROM campaigns_petition WHERE id = %s", petition
                )
                if shown != size:
                    self.result["notes"].append(f"growth: count shows {shown} after loading {size}")
            # One 10-s probe's p50 moved by ±20% from run to run, as much as the target
            # allows: each size is probed like the headline, the median shown.
            runs = []
            for i in range(self.cfg.repeat):
                say(f"{self.db.label}: growth probe at {size:,} signatures (run {i + 1})")
                self.drain()
                runs.append(self.sign(f"growth@{size}", GROWTH_CLIENTS, slug, petition))
            step.update(summarise(runs))
            out[size] = step
        self.drain()

    def run_export(self) -> None:
        self.result["export"] = exports.run(self, say)

    def run_outbox(self) -> None:
        self.stop_workers()
        port = free_port()
        counted = self.var / "smtp-count"
        sink = self.procs.start(
            f"smtp-{self.db.vendor}",
            [PYTHON, "-m", "bench.smtp_sink", str(port), str(counted)],
            self.env,
            cwd=str(ROOT),
        )
        wait_for_port(port, sink)
        out = self.result["outbox"] = {}
        try:
            for n in (1, 2):
                queued = self.db.queued()
                if queued < OUTBOX_QUEUE:
                    self.db.queue_messages(OUTBOX_QUEUE - queued)
                say(f"{self.db.label}: outbox, {n} worker(s), SMTP on 127.0.0.1:{port}")
                first = self.db.sent()
                self.start_workers(n, EMAIL_URL=f"smtp://127.0.0.1:{port}")
                end = time.monotonic() + 60
                while self.db.sent() == first and time.monotonic() < end:
                    time.sleep(0.1)
                time.sleep(self.cfg.warmup)
                before, start_sent, started = cpu.snapshot(), self.db.sent(), time.monotonic()
                time.sleep(self.cfg.seconds)
                after, end_sent, ended = cpu.snapshot(), self.db.sent(), time.monotonic()
                use = cpu.usage(before, after, self.groups(), self.pg_name)
                self.result["cpu"][f"outbox x{n}"] = use
                out[n] = {"rate": (end_sent - start_sent) / (ended - started), "cpu": use}
                if not self.db.queued():
                    self.result["notes"].append(f"outbox x{n}: the queue ran dry (lower bound)")
                self.stop_workers()
            failed = self.db.scalar("SELECT COUNT(*) FROM outbox_message WHERE state = 'failed'")
            out["failed"] = failed
        finally:
            self.procs.stop(sink)
        out["sink"] = int(counted.read_text() or 0) if counted.exists() else None
        out["sent"] = self.db.sent()

    def run_ceiling(self) -> None:
        if self.web:
            self.procs.stop(self.web)
            self.web = None
        url = (
            f"sqlite:///{self.var / 'ceiling.sqlite3'}"
            if self.db.vendor == "sqlite"
            else self.db.url
        )
        ceiling_app.create_table(url)
        env = {**self.env, "BENCH_CEILING_DB": url}
        # Under the server Outcry runs under: WEB_SERVER, else outcry serve's default.
        if (self.env.get("WEB_SERVER", "").strip() or "granian") == "granian":
            argv = [
                PYTHON, "-m", "granian", "--interface", "wsgi",
                "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", str(self.cfg.web_workers),
                "--blocking-threads", str(self.cfg.web_threads),
                "--log-level", "warning",
                "bench.ceiling_app:app",
            ]  # fmt: skip
        else:
            argv = [
                PYTHON, "-m", "gunicorn",
                "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(self.cfg.web_workers),
                "--threads", str(self.cfg.web_threads),
                "--graceful-timeout", "10",
                "--log-level", "warning",
                "bench.ceiling_app:app",
        ]  # fmt: skip
        self.web = self.procs.start(f"ceiling-{self.db.vendor}", argv, env, cwd=str(ROOT))
        wait_for_port(self.port, self.web)
        runs = []
        for i in range(self.cfg.repeat):
            say(f"{self.db.label}: ceiling, {HEADLINE} clients (run {i + 1})")
            browsers, window, use = self.phase("ceiling", [(HEADLINE, lambda b: b.sign("ceiling"))])
            stored = ceiling_app.count_between(url, window.start, window.end)
            runs.append(self.sign_figures(browsers, window, stored, use))
        self.result["ceiling"] = summarise(runs)
        self.procs.stop(self.web)
        self.web = None

    def run(self) -> dict:
        started = time.monotonic()
        say(f"{self.db.label}: fresh install in {self.var}")
        self.db.create()
        self.outcry("migrate", "--no-input")
        self.outcry("demo")
        # Every bench address is @bench.example, which the per-domain rule would take
        # for a flood: each organisation allow-lists it, as one expecting a rush from a
        # domain of its own would (free webmail domains are exempt already).
        self.outcry("shell", "-c", ALLOW_BENCH_DOMAIN)
        self.petition, self.slug = self.db.first_petition()
        if self.cfg.phases != ["export"]:  # the exports need no server and no load
            self.start_web()
            self.start_workers(1)
        self.result["version"] = self.db.version()
        try:
            for step in (
                self.run_sign,
                self.run_read,
                self.run_confirm,
                self.run_growth,
                self.run_outbox,
                self.run_ceiling,
                self.run_export,
            ):
                if step.__name__.removeprefix("run_") not in self.cfg.phases:
                    continue
                try:
                    step()
                except Exception as exc:  # record it, and measure what can still be measured
                    name = step.__name__.removeprefix("run_")
                    self.result.setdefault("failed", {})[name] = one_line(exc)
                    say(f"{self.db.label}: {name} failed: {exc}")
                    # The exports run without the server: their failure stops nothing.
                    if step != self.run_export and (self.web is None or not self.web.alive()):
                        raise
        finally:
            self.stop_workers()
            if self.web:
                self.procs.stop(self.web)
                self.web = None
            self.result["seconds"] = time.monotonic() - started
        return self.result


def one_line(exc: Exception) -> str:
    """The last line of an error (a subprocess's traceback ends with the exception)."""
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[-1] if lines else ''}"[:300]


def noisy(use: dict) -> bool:
    """Did other processes on the machine take a real share of the cores?"""
    return use.get("other", 0.0) > NOISY


def summarise(runs: list[dict]) -> dict:
    """The median run's figures (by rate), with every run's rate kept for the spread.

    Runs that other processes on the machine disturbed are left out of the median
    when at least one quiet run exists."""
    quiet = [r for r in runs if not noisy(r["cpu"])]
    discarded = len(runs) - len(quiet) if quiet else 0
    runs = quiet or runs
    ordered = sorted(runs, key=lambda r: r["rate"])
    middle = dict(ordered[len(ordered) // 2])
    middle["rates"] = [r["rate"] for r in runs]
    for key in ("p50", "p99", "page_p50", "page_p99"):
        values = [r[key] for r in runs if r[key] is not None]
        middle[key] = median(values) if values else None
    middle["errors"] = sum(r["errors"] for r in runs)
    middle["discarded"] = discarded
    return middle


def machine() -> dict:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory_gib": int(mem) / 2**20,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loop": load.install_uvloop(),
        "gunicorn": version("gunicorn"),
        "granian": version("granian"),
        # outcry serve's choice: WEB_SERVER if the bench was given one, else its default.
        "web_server": os.environ.get("WEB_SERVER", "").strip() or "default server",
        "django": version("django"),
    }


def main() -> None:
    cfg = Config()
    load.install_uvloop()
    started = time.monotonic()
    run_dir = Path(tempfile.mkdtemp(prefix="outcry-bench-", dir="/tmp"))
    procs = Procs(run_dir)
    results: dict[str, dict] = {}
    errors: dict[str, str] = {}
    created: list[Database] = []
    pg_name = os.environ.get("BENCH_PG_DB", "").strip() or "outcry_bench"

    def terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGHUP, terminate)
    say(f"run dir {run_dir}; databases: {', '.join(cfg.dbs)}")
    try:
        for name in cfg.dbs:
            var = run_dir / name
            var.mkdir()
            db = SQLite(var) if name == "sqlite" else Postgres(pg_name)
            created.append(db)
            bench = DatabaseBench(db, var, procs, cfg)
            try:
                results[name] = bench.run()
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # one database failing must not hide the other's figures
                errors[name] = one_line(exc)
                results[name] = bench.result
                say(f"{db.label} failed: {errors[name]}")
    except KeyboardInterrupt:
        say("interrupted: stopping everything the bench started")
        errors["run"] = "interrupted"
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        procs.stop_all()
        for db in created:
            try:
                db.drop()
            except Exception as exc:  # noqa: BLE001 (report, then carry on cleaning)
                say(f"could not drop {db.label} database: {exc}")
        if cfg.keep or errors:
            say(f"kept {run_dir} (logs of every process)")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    text = report.render(cfg, machine(), results, errors, time.monotonic() - started)
    print(text)
    # A partial run (BENCH_PHASES) must not replace the last full table.
    partial = "" if set(cfg.phases) == set(PHASES) else "-" + "-".join(cfg.phases)
    out = ROOT / "var" / "bench" / f"last{partial}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    say(f"written to {out.relative_to(ROOT)}")
    if errors or any(r.get("failed") for r in results.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
