"""The export rows of `make bench`: the organiser's signature CSV and the delivery PDF
of a petition with a million confirmed signatures.

The bench loads the signatures onto a petition of its own, with the consents the
sign form logs for each (and some withdrawn: see Database.bulk_consents), then runs each export
BENCH_REPEAT times, each time in a new child process (`python -m bench.exports
csv|pdf <slug>`) with the install's environment, through the code an organiser's
download runs: `exports.signatures_csv()` read to its end through the response's
`streaming_content`, and `packet.petition_packet()` written through the view's
spooled file (`delivery._pdf_response`) and read back. The child reports:

  time    wall seconds of the export alone (Django's set-up left out)
  memory  the child's peak resident set (VmHWM in /proc/self/status): the whole
          process, Python and Django included, as a web worker would hold it, plus
          the peak of the process a large signature export writes every other chunk
          in (outcry/organiser/export_workers.py), read while it runs; the peak
          before the export began is kept beside it

A new process each time, because a peak never goes down: a second export in the
same process would report the first one's. Not ru_maxrss: Linux carries it over
exec from the forking process, so the child would report the bench's own size.
"""

import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

from bench import cpu

ROWS = 1_000_000
SLUG = "bench-export"
ROOT = Path(__file__).resolve().parent.parent
KINDS = ("csv", "pdf")


def run(bench, say) -> dict:
    """Load ROWS confirmed signatures, then measure each export; bench is a DatabaseBench."""
    db = bench.db
    petition = db.clone_petition(bench.slug, SLUG)
    say(f"{db.label}: export, loading {ROWS:,} confirmed signatures and their consents")
    started = time.monotonic()
    db.bulk_signatures(petition, 0, ROWS)
    db.bulk_consents(petition)
    out: dict = {"rows": ROWS, "load_s": time.monotonic() - started}
    # The packet reconciles a count that drifted; that is not the export's time.
    bench.outcry("reconcile")
    for kind in KINDS:
        runs = []
        for i in range(bench.cfg.repeat):
            say(f"{db.label}: export {kind} of {ROWS:,} signatures (run {i + 1})")
            bench.wait_quiet()
            runs.append(measure(bench.env, kind, SLUG, bench.pg_name))
        out[kind] = summarise(runs)
    return out


def measure(env: dict, kind: str, slug: str, pg_name: str | None) -> dict:
    before, reaped = cpu.snapshot(), children_cpu()
    child = subprocess.Popen(  # noqa: S603 (our own argv)
        [sys.executable, "-m", "bench.exports", kind, slug],
        env=env,
        cwd=str(ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, for the CPU accounting
    )
    stdout, stderr = child.communicate(timeout=1800)
    after = cpu.snapshot()
    if child.returncode:
        raise RuntimeError(f"export {kind} failed:\n{stderr}")
    result = json.loads(stdout.strip().splitlines()[-1])
    # The child has exited by now: /proc counts what it used in this process's own
    # figure (the CPU of reaped children), which is the load generator's. Its
    # database backend, reaped by PostgreSQL's server process, counts there.
    wall = after.at - before.at
    use = cpu.usage(before, after, {}, pg_name)
    use["export"] = (children_cpu() - reaped) / wall
    use["loadgen"] = max(0.0, use["loadgen"] - use["export"])
    return {**result, "cpu": use}


def children_cpu() -> float:
    """CPU seconds of this process's children that have been waited for."""
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def summarise(runs: list[dict]) -> dict:
    """Medians of time and peak memory; every run's time kept for the spread."""
    middle = dict(sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2])
    middle["seconds"] = median(r["seconds"] for r in runs)
    middle["peak_mb"] = median(r["peak_mb"] for r in runs)
    middle["times"] = [r["seconds"] for r in runs]
    return middle


# The child ---------------------------------------------------------------------------


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


def children_peak_mb() -> dict[int, float]:
    """The peak resident set (MB) of each live child process of this one, by pid."""
    peaks = {}
    for task in Path("/proc/self/task").iterdir():
        for pid in (task / "children").read_text().split():
            with contextlib.suppress(OSError):  # it may have exited meanwhile
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks[int(pid)] = int(line.split()[1]) / 1024
    return peaks


def export(kind: str, slug: str) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outcry.settings")
    django.setup()
    from outcry.campaigns.models import Petition
    from outcry.organiser import delivery, exports, packet

    petition = Petition.objects.select_related("target", "organisation").get(slug=slug)
    if kind == "pdf":
        packet._register_fonts()  # once per process, not part of an export
    baseline = peak_mb()
    started = time.perf_counter()
    if kind == "csv":
        response = exports.signatures_csv(petition, confirmed_only=True)
    else:
        figures = packet.petition_figures(petition)
        response = delivery._pdf_response(
            lambda out: packet.petition_packet(
                out, petition=petition, target=petition.target, figures=figures
            ),
            "packet.pdf",
        )
    size = lines = 0
    helpers: dict[int, float] = {}
    for n, piece in enumerate(response.streaming_content):
        size += len(piece)
        lines += piece.count(b"\n")
        if n % 50 == 0:  # about every 3 MB of CSV
            helpers.update(children_peak_mb())
    response.close()
    seconds = time.perf_counter() - started
    result = {"seconds": seconds, "baseline_mb": baseline, "bytes": size}
    result["helper_mb"] = sum(helpers.values())
    result["peak_mb"] = peak_mb() + result["helper_mb"]
    if kind == "csv":
        result["rows"] = lines - 1  # the header
    return result


if __name__ == "__main__":
    print(json.dumps(export(sys.argv[1], sys.argv[2])), flush=True)
