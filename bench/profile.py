"""Where a signing browser's time goes: `python -m bench.profile [sqlite|postgres] [clients] [s]`.

Makes a fresh install like `make bench`, starts `outcry serve` and `outcry worker`,
and while browsers sign (GET the petition page, POST the form) records every
gunicorn worker with py-spy. Each sample is put under the request it served
(page GET, sign POST, other) and under the first of a few categories its stack
matches (SQL, form rendering, templates, Markdown, ...), so the summary says
what a request spends its CPU on. The raw stacks stay in var/bench/ for a
flame graph (`py-spy record --format speedscope` reads the same way).
"""

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench import cpu, load
from bench.db import Postgres, SQLite
from bench.procs import Procs
from bench.run import ROOT, Config, DatabaseBench, say

# Where a web worker is when it serves no view: these count as waiting, not work.
WAITS = [
    ("waiting: for the client to close (gunicorn close_graceful)", "close_graceful"),
    ("waiting: for a connection (accept/select)", "EpollSelector.select"),
    ("waiting: for a connection (accept/select)", "sync.py"),
]
REQUESTS = [
    ("page GET", "petition_detail (outcry/campaigns/views.py"),
    ("sign POST", "sign (outcry/signing/views.py"),
    ("confirm", "confirm (outcry/signing/views.py"),
    ("count JSON", "count_json (outcry/campaigns/views.py"),
    ("challenge JSON", "challenge (outcry/guard/views.py"),
]
# Checked in this order: the first that any frame of a sample matches wins, so
# SQL run from inside a template counts as SQL, a widget's template as forms.
CATEGORIES = [
    ("SQL: commit", ("commit (django/db/backends", "_commit (django/db/backends")),
    ("SQL: connect / close", ("connect (django/db/backends", "close_if_unusable_or_obsolete")),
    ("SQL: execute + fetch", ("django/db/backends/", "psycopg/", "sqlite3")),
    ("ORM: build query / models", ("django/db/models/",)),
    ("Markdown (markdown-it, nh3)", ("markdown_it/", "nh3", "templatetags/outcry.py")),
    ("forms: render widgets", ("django/forms/renderers", "django/forms/widgets", "boundfield")),
    ("forms: validate", ("django/forms/",)),
    ("countries list", ("django_countries/",)),
    ("templates", ("django/template/",)),
    ("i18n / URL reversing", ("django/utils/translation", "django/urls/")),
    ("CSRF / middleware", ("django/middleware/", "django/contrib/sessions", "whitenoise/")),
    ("request / response (Django core)", ("django/core/handlers", "django/http/")),
    ("gunicorn (parse, write, accept)", ("gunicorn/",)),
]


def summarise(raw: Path) -> str:
    per_request: dict[str, Counter] = {}
    leaves: dict[str, Counter] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        request = next((name for name, mark in REQUESTS if mark in stack), None)
        if request is None:
            leaf = frames[-1]
            request = next(
                (name for name, mark in WAITS if mark in leaf), "gunicorn / Django outside a view"
            )
        category = next(
            (name for name, marks in CATEGORIES if any(m in f for f in frames for m in marks)),
            "other Python",
        )
        per_request.setdefault(request, Counter())[category] += n
        leaves.setdefault(request, Counter())[
            frames[-1].split(" (")[0] + " " + short(frames[-1])
        ] += n
    lines = [f"{total:,} samples of web-worker stacks (wall clock: busy and waiting)"]
    for request, categories in sorted(per_request.items(), key=lambda kv: -kv[1].total()):
        own = categories.total()
        lines.append(f"\n{request}: {own / total * 100:.0f}% of web-worker time")
        if request.startswith("waiting"):
            continue
        for name, n in categories.most_common():
            lines.append(f"  {n / own * 100:5.1f}%  {name}")
        lines.append("  hottest leaf functions:")
        for name, n in leaves[request].most_common(8):
            lines.append(f"  {n / own * 100:5.1f}%  {name}")
    return "\n".join(lines) + "\n"


def cpu_line(use: dict) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in use.items() if v >= 0.01)


def short(frame: str) -> str:
    inside = frame[frame.find("(") + 1 : frame.rfind(")")]
    return f"({inside.split('site-packages/')[-1]})"


def main() -> None:
    which = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 15
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    cfg = Config()
    load.install_uvloop()
    run_dir = Path(tempfile.mkdtemp(prefix="outcry-profile-", dir="/tmp"))
    procs = Procs(run_dir)
    var = run_dir / which
    var.mkdir()
    db = SQLite(var) if which == "sqlite" else Postgres("outcry_bench_profile")
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = out_dir / f"profile-{which}.txt"
    bench = DatabaseBench(db, var, procs, cfg)
    # The categories below read gunicorn's frames; WEB_SERVER=granian profiles granian.
    bench.env.setdefault("WEB_SERVER", "gunicorn")
    try:
        db.create()
        bench.outcry("migrate", "--no-input")
        bench.outcry("demo")
        bench.petition, bench.slug = db.first_petition()
        bench.start_web()
        bench.start_workers(1)
        slug = bench.slug

        def signing(n, secs, label):
            say(f"{label}: {n} signing browser(s), {secs:g} s")
            before = cpu.snapshot()
            browsers, window = asyncio.run(
                load.run_phase(bench.base, [(n, lambda b: b.sign(slug))], seconds=secs, warmup=1)
            )
            use = cpu.usage(before, cpu.snapshot(), bench.groups(), bench.pg_name)
            rate = db.signed_between(bench.petition, window.start, window.end) / window.seconds
            post, page = browsers.record("sign"), browsers.record("page")
            return (
                f"{label}: {rate:.0f} signatures/s; page GET p50 {page.pct(50):.1f} ms,"
                f" sign POST p50 {post.pct(50):.1f} ms; web {use['web']:.2f} cores ="
                f" {use['web'] / max(rate, 1e-9) * 1000:.1f} ms of web CPU per signature"
                f" ({cpu_line(use)})"
            )

        lines = [
            f"{db.label}, outcry serve: {cfg.web_workers} workers x {cfg.web_threads} thread(s)",
            signing(1, 5, "one browser at a time (service time, no queueing)"),
            signing(clients, 10, f"{clients} browsers, no profiler"),
        ]
        workers = [pid for pid in procs.group_pids(bench.web) if pid != bench.web.pgid]
        say(f"py-spy on web worker {workers[0]} (1 of {len(workers)}) while browsers sign")
        recorder = subprocess.Popen(  # noqa: S603 (our own argv)
            [spy, "record", "--pid", str(workers[0]), "--rate", "100", "--idle",
             "--nonblocking", "--format", "raw", "--output", str(raw),
             "--duration", str(int(seconds))],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        lines.append(signing(clients, seconds, f"{clients} browsers, one worker under py-spy"))
        recorder.wait(timeout=60)
        text = "\n".join(lines) + "\n\n" + summarise(raw)
    finally:
        procs.stop_all()
        db.drop()
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(run_dir, ignore_errors=True)
    (out_dir / f"profile-{which}-summary.txt").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
