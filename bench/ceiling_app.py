"""The ceiling: the least a WSGI app can do per signature, under Outcry's gunicorn settings.

GET answers a tiny form page with a token and a csrftoken cookie (so the bench
drives it with the very same browser code as Outcry); POST inserts one row and
redirects. Whatever Outcry's sign rate is short of this is the cost of Outcry,
not of the machine, the server or the database.

Run by the bench as `gunicorn bench.ceiling_app:app` with BENCH_CEILING_DB set to
`sqlite:///path` or a PostgreSQL URL.
"""

import os
import secrets
import sqlite3
import time
from urllib.parse import parse_qs

PAGE = (
    '<!doctype html><title>Sign</title><form method="post">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
    '<input name="name"><input name="email"><button>Sign</button></form>'
)
_conn = None


def connect(url: str):
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=20, isolation_level=None)
        # The same durability as Outcry's SQLite settings.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn
    import psycopg

    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)


def create_table(url: str) -> None:
    conn = connect(url)
    key = "INTEGER PRIMARY KEY" if url.startswith("sqlite") else "BIGSERIAL PRIMARY KEY"
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS bench_ceiling (id {key}, name TEXT NOT NULL,"
        " email TEXT NOT NULL UNIQUE, created_at DOUBLE PRECISION NOT NULL)"
    )
    conn.close()


def count_between(url: str, start: float, end: float) -> int:
    conn = connect(url)
    mark = "?" if url.startswith("sqlite") else "%s"
    cur = conn.execute(
        f"SELECT COUNT(*) FROM bench_ceiling WHERE created_at >= {mark} AND created_at < {mark}",  # noqa: S608
        (start, end),
    )
    n = cur.fetchone()[0]
    conn.close()
    return n


def insert(name: str, email: str) -> None:
    global _conn
    url = os.environ["BENCH_CEILING_DB"]
    if _conn is None:
        _conn = connect(url)
    if url.startswith("sqlite"):
        # IMMEDIATE, as Outcry's transactions: take the write lock at BEGIN.
        _conn.execute("BEGIN IMMEDIATE")
        _conn.execute(
            "INSERT INTO bench_ceiling (name, email, created_at) VALUES (?, ?, ?)",
            (name, email, time.time()),
        )
        _conn.execute("COMMIT")
    else:
        _conn.execute(
            "INSERT INTO bench_ceiling (name, email, created_at) VALUES (%s, %s, %s)",
            (name, email, time.time()),
        )


def app(environ, start_response):
    if environ["REQUEST_METHOD"] == "POST":
        size = int(environ.get("CONTENT_LENGTH") or 0)
        form = parse_qs(environ["wsgi.input"].read(size).decode())
        insert(form["name"][0], form["email"][0])
        start_response("302 Found", [("Location", "/thanks/"), ("Content-Length", "0")])
        return [b""]
    body = PAGE.format(secrets.token_urlsafe(32)).encode()
    start_response(
        "200 OK",
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Set-Cookie", f"csrftoken={secrets.token_urlsafe(24)}; Path=/; SameSite=Lax"),
        ],
    )
    return [body]
