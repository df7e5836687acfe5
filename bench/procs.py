"""Start and stop the processes a bench run needs, each in its own process group.

Every process is started with `start_new_session=True`, so it and everything it
forks (gunicorn's workers) share one process group that we can signal as a
whole. `Procs.stop_all()` runs from a `finally`, so Ctrl-C or an error still
leaves nothing behind.
"""

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path

    @property
    def pgid(self) -> int:
        return self.popen.pid  # the leader of its own session and group

    def alive(self) -> bool:
        try:
            os.killpg(self.pgid, 0)
        except ProcessLookupError:
            return False
        return True

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Procs:
    log_dir: Path
    running: list[Proc] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict, cwd: str | None = None) -> Proc:
        log = self.log_dir / f"{name}.log"
        with open(log, "ab") as out:
            popen = subprocess.Popen(  # noqa: S603 (our own argv)
                argv,
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        proc = Proc(name, popen, log)
        self.running.append(proc)
        return proc

    def stop(self, proc: Proc, timeout: float = 20.0) -> None:
        """SIGTERM the whole group (graceful), then SIGKILL what is left after `timeout`."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pgid, signal.SIGTERM)
        end = time.monotonic() + timeout
        while time.monotonic() < end and proc.alive():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=0.1)
            if proc.popen.poll() is not None and not proc.alive():
                break
        if proc.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.popen.wait(timeout=5)
        if proc in self.running:
            self.running.remove(proc)

    def stop_all(self) -> None:
        for proc in reversed(list(self.running)):
            self.stop(proc)

    def group_pids(self, proc: Proc) -> list[int]:
        """Pids in a process's group (gunicorn master and workers)."""
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            stat = read_stat(int(entry))
            if stat and stat[1] == proc.pgid:
                pids.append(int(entry))
        return pids


def read_stat(pid: int) -> tuple[int, int, float, str] | None:
    """(ppid, pgrp, cpu seconds used, command name) of a process, from /proc.

    The CPU includes children it has reaped: a short-lived child (PostgreSQL's
    autovacuum worker, say) is then still counted, under its parent."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    rest = raw[raw.rindex(")") + 2 :].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = sum(int(x) for x in rest[11:15])  # utime, stime, cutime, cstime
    return int(rest[1]), int(rest[2]), cpu / ticks, comm


def free_port() -> int:
    """A free TCP port on 127.0.0.1: the first free one of BENCH_PORTS ("8400-8449") when
    set, so a bench on a shared machine keeps to the ports it was given; else any."""
    low, _, high = os.environ.get("BENCH_PORTS", "").partition("-")
    candidates = range(int(low), int(high or low) + 1) if low.strip() else [0]
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port in BENCH_PORTS={os.environ['BENCH_PORTS']}")


def wait_for_port(port: int, proc: Proc, timeout: float = 90.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited during start-up:\n{proc.tail()}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(
        f"{proc.name} did not listen on {port} within {timeout:.0f} s:\n{proc.tail()}"
    )
