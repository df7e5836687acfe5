"""A small Outcry cluster for the scale-out test: two `outcry serve`, two `outcry worker`.

It always runs on PostgreSQL and Redis, whatever database the rest of the suite
uses: a database of its own (`outcry_scaleout_<pid>`, never Django's test
database), created and dropped here, and the Redis of TEST_REDIS_URL. Without
either server the test fails with a message; it never skips, because this is
the set-up production runs.

TEST_POSTGRES_URL names the PostgreSQL server to use (any database on it: the
test only creates and drops its own); by default the server of a postgres
DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres.
OUTCRY_TEST_PORTS (`8500-8549`) keeps the ports the test listens on inside a
range; by default the kernel picks free ones.
"""

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from cryptography.fernet import Fernet

from bench.procs import Proc, Procs, wait_for_port
from tests.outbox.conftest import Handler, MailServer

# A Redis database of its own by default; the servers' keys (rate limits keyed with this
# run's secret) never meet another run's and expire within two minutes.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
# What a process may take from the caller's environment: nothing that configures Outcry.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "PYTHONPATH")


def postgres_server_url() -> str:
    if os.environ.get("TEST_POSTGRES_URL"):
        return os.environ["TEST_POSTGRES_URL"]
    suite = os.environ.get("DATABASE_URL", "")
    if suite.startswith(("postgres://", "postgresql://")):
        return urlunsplit(urlsplit(suite)._replace(path="/postgres"))
    return "postgres://postgres@127.0.0.1:5432/postgres"


def free_ports(n: int) -> list[int]:
    """`n` ports nothing listens on, from OUTCRY_TEST_PORTS when it names a range."""
    span = os.environ.get("OUTCRY_TEST_PORTS", "")
    candidates = range(int(span.split("-")[0]), int(span.split("-")[1]) + 1) if span else [0] * n
    ports = []
    for candidate in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            ports.append(sock.getsockname()[1])
        if len(ports) == n:
            return ports
    pytest.fail(f"no {n} free ports in OUTCRY_TEST_PORTS={span}")


@pytest.fixture
def scaleout_database():
    """A PostgreSQL database of this test's own; its URL. Dropped at the end."""
    server = postgres_server_url()
    name = f"outcry_scaleout_{os.getpid()}"
    try:
        admin = psycopg.connect(server, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"the scale-out test needs PostgreSQL at {server} (set TEST_POSTGRES_URL): {exc}"
        )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def scaleout_redis():
    """The Redis the servers share (cache, rate limits); its URL."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"the scale-out test needs Redis at {REDIS_URL} (set TEST_REDIS_URL): {exc}")
    finally:
        client.close()
    return REDIS_URL


class HoldingHandler(Handler):
    """Accepts every message; once `arm()`ed, holds the next DATA unanswered.

    While a worker waits for that answer, the test kills it: the message was
    never accepted (a server only takes on a message it answered 250 to), so it
    must reach the recipient once, from the other worker, after the lease.
    """

    def __init__(self, received):
        super().__init__(received)
        self.armed = False
        self.held_peer: tuple | None = None
        self.released = False

    def arm(self) -> None:
        self.armed = True

    async def handle_DATA(self, server, session, envelope):
        if self.armed and self.held_peer is None:
            self.held_peer = session.peer
            while not self.released:
                await asyncio.sleep(0.02)
            return "451 4.3.0 Not accepted: the client went away"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp_server():
    (port,) = free_ports(1)
    server = MailServer(port)
    server.handler = HoldingHandler(server.received)
    server.start()
    yield server
    server.handler.released = True
    server.stop()


def owner_of_connection(local_port: int, pids: list[int]) -> int | None:
    """Which of `pids` holds the TCP socket whose local end is `local_port` (Linux /proc)."""
    inodes = set()
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        lines = table.read_text().splitlines()[1:] if table.exists() else []
        for line in lines:
            columns = line.split()
            if int(columns[1].rsplit(":", 1)[1], 16) == local_port:
                inodes.add(f"socket:[{columns[9]}]")
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) in inodes:
                    return pid
            except OSError:  # closed meanwhile
                continue
    return None


@dataclass
class Cluster:
    """Two app servers and two workers on one PostgreSQL and one Redis."""

    env: dict
    bases: list[str]
    procs: Procs
    smtp: MailServer
    database_url: str
    servers: list[Proc] = field(default_factory=list)
    workers: list[Proc] = field(default_factory=list)

    def outcry(self, *args: str) -> str:
        """Run an `outcry` command, as an operator would from a machine of its own."""
        env = {**self.env, "OUTCRY_VAR_DIR": str(self.procs.log_dir / "admin")}
        done = subprocess.run(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "outcry", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"outcry {args[0]} failed:\n{done.stdout}{done.stderr}"
        return done.stdout

    def start(self, name: str, *args: str) -> Proc:
        # Each process has a var dir of its own, as each machine would.
        env = {**self.env, "OUTCRY_VAR_DIR": str(self.procs.log_dir / name)}
        return self.procs.start(name, [sys.executable, "-m", "outcry", *args], env)

    def kill_worker_holding(self, peer_port: int) -> Proc:
        """SIGKILL the worker whose SMTP connection comes from `peer_port`."""
        pids = {w.popen.pid: w for w in self.workers}
        pid = owner_of_connection(peer_port, list(pids))
        assert pid is not None, f"no worker holds the connection from port {peer_port}"
        os.kill(pid, signal.SIGKILL)
        assert pids[pid].popen.wait(timeout=10) == -signal.SIGKILL
        return pids[pid]

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.tail(40)}" for p in [*self.servers, *self.workers])

    def query(self, sql: str, params=()) -> list[tuple]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def wait_for(self, condition, *, seconds: float, what: str):
        deadline = time.monotonic() + seconds
        while not (result := condition()):
            if time.monotonic() > deadline:
                pytest.fail(f"waited {seconds}s for {what}; logs:\n{self.logs()}")
            time.sleep(0.1)
        return result


@pytest.fixture
def cluster(tmp_path, scaleout_database, scaleout_redis, smtp_server):
    """Migrate, then start two servers and two workers with one environment; stop them all."""
    web_ports = free_ports(2)
    bases = [f"http://127.0.0.1:{port}" for port in web_ports]
    env = {name: os.environ[name] for name in INHERITED if name in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="outcry.settings",
        DATABASE_URL=scaleout_database,
        CACHE_URL=scaleout_redis,
        # Its own keys: another run of this test may share the Redis at the same time.
        CACHE_KEY_PREFIX=f"scaleout-{os.getpid()}",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}",
        EMAIL_TIMEOUT="10",
        # Behind a load balancer this is its address; here, the first server.
        SITE_URL=bases[0],
        # Shared by every machine: sessions, CSRF-free form tokens, keyed IP hashes,
        # and the encryption and look-up keys of personal data.
        SECRET_KEY=secrets.token_urlsafe(50),
        ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        LOOKUP_KEY=secrets.token_urlsafe(48),
        MEDIA_ROOT=str(tmp_path / "media"),
        DEBUG="0",
        LOG_LEVEL="WARNING",
        WEB_CONCURRENCY="2",
        # Closed-loop browsers post at once, all from 127.0.0.1 on addresses of one domain.
        FORM_MIN_FILL_SECONDS="0",
        RATE_LIMIT_SIGN_PER_MINUTE="100000",
        RATE_LIMIT_LINK_PER_MINUTE="100000",
        RATE_LIMIT_CHALLENGE_PER_MINUTE="100000",
        # The browsers solve the robot check's proof-of-work on this machine's cores.
        ALTCHA_MAX_NUMBER="1000",
        ALTCHA_SURGE_PER_MINUTE="100000",
        FRAUD_SIGNATURES_PER_IP_PER_HOUR="100000",
        FRAUD_SIGNATURES_PER_DOMAIN_PER_HOUR="100000",
        # A killed worker's mail waits this long for the other worker.
        OUTBOX_LEASE_SECONDS="6",
    )
    procs = Procs(tmp_path)
    cluster = Cluster(env, bases, procs, smtp_server, scaleout_database)
    try:
        # The servers collect their static files meanwhile; they touch the database
        # only when a request comes, the workers at once.
        for n, port in enumerate(web_ports, 1):
            server = cluster.start(f"serve{n}", "serve", "--bind", f"127.0.0.1:{port}")
            cluster.servers.append(server)
        cluster.outcry("migrate", "--no-input", "-v0")
        cluster.workers = [cluster.start(f"worker{n}", "worker") for n in (1, 2)]
        for server, port in zip(cluster.servers, web_ports, strict=True):
            wait_for_port(port, server, timeout=60)
        yield cluster
    finally:
        for proc in procs.running:  # all stop together; stop_all() then waits for each
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pgid, signal.SIGTERM)
        procs.stop_all()
