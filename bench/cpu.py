"""Where the CPU went during a phase: web server, worker, database, load generator.

Read from /proc before and after a phase. On a two-core machine shared by all
of them, this says whether the machine was saturated and by whom, which is the
first question when a figure disappoints.
"""

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from bench.procs import read_stat


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / ticks, sum(fields) / ticks


@dataclass
class Snapshot:
    at: float
    machine: tuple[float, float]
    procs: dict[int, tuple[int, float, str]]  # pid -> (pgrp, cpu seconds, name)


def snapshot() -> Snapshot:
    procs = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = read_stat(int(entry))
            if stat:
                name = stat[3]
                if name.startswith("postgres"):
                    # "postgres: 15/main: user dbname 127.0.0.1(port) idle" for a backend;
                    # the server's own arguments are apart by NULs, not spaces.
                    with contextlib.suppress(OSError):
                        raw = Path(f"/proc/{entry}/cmdline").read_bytes()
                        name = raw.replace(b"\0", b" ").decode(errors="replace")
                procs[int(entry)] = (stat[1], stat[2], name)
    return Snapshot(time.monotonic(), machine_busy(), procs)


def ours(name: str, database: str | None) -> bool:
    """A PostgreSQL process working for the bench: a backend of its database, or
    one of the server's own processes (the postmaster, whose count includes the
    parallel query and autovacuum workers it has reaped, WAL writer, checkpointer...)."""
    if not name.startswith("postgres") and "/postgres " not in name:
        return False
    if "(" not in name:  # no client address: a server process, shared by all
        return True
    return database is not None and f" {database} " in name


def usage(
    before: Snapshot, after: Snapshot, groups: dict[str, list[int]], database: str | None = None
) -> dict[str, float]:
    """Cores used on average by each named group of process groups, plus the database
    server, the load generator (this process) and the rest of the machine ("other":
    anything else running on it, which a quiet machine keeps near zero)."""
    wall = after.at - before.at
    by_group = {pgid: name for name, pgids in groups.items() for pgid in pgids}
    used = {name: 0.0 for name in [*groups, "postgres", "loadgen", "other"]}
    for pid, (pgrp, cpu, comm) in after.procs.items():
        delta = cpu - before.procs.get(pid, (0, 0.0, ""))[1]
        if pid == os.getpid():
            used["loadgen"] += delta
        elif pgrp in by_group:
            used[by_group[pgrp]] += delta
        elif ours(comm, database):
            used["postgres"] += delta
    busy = after.machine[0] - before.machine[0]
    total = after.machine[1] - before.machine[1]
    cores = os.cpu_count() or 1
    result = {name: value / wall for name, value in used.items()}
    result["busy"] = cores * busy / total if total else 0.0
    result["other"] = max(0.0, result["busy"] - sum(v for k, v in result.items() if k != "busy"))
    return result
