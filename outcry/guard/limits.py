"""Rate limits on public POSTs, per form kind and per IP hash, counted atomically.

With Redis (`CACHE_URL`) the count is Redis's own INCR; without it, one upsert
into `RateCounter` (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`), which
SQLite >= 3.35 and PostgreSQL both run as a single atomic statement. Either way
every app server sees the same count and two requests never read the same one.
Windows are fixed (a minute by default), so a burst across a window edge may
get up to twice the limit: good enough to stop a flood, never a person.
"""

import math
import random
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from outcry.guard.models import RateCounter
from outcry.signing.provenance import client_ip, ip_hash

CLEAN_UP_CHANCE = 0.01  # of new windows, which also delete the expired ones


def limit(key: str, *, per: int, seconds: int) -> int | None:
    """Count one hit on `key`; over `per` hits in the current window, the seconds to wait."""
    now = time.time()
    window = int(now // seconds) * seconds
    if settings.CACHE_URL:
        hits = _count_in_cache(key, window, seconds)
    else:
        hits = _count_in_database(key, window, seconds)
    if hits <= per:
        return None
    return max(1, math.ceil(window + seconds - now))


def _count_in_cache(key: str, window: int, seconds: int) -> int:
    name = f"outcry:limit:{key}:{window}"
    # The key outlives its window, so it cannot expire between add() and incr().
    cache.add(name, 0, timeout=seconds * 2)
    try:
        return cache.incr(name)
    except ValueError:  # evicted under memory pressure: count afresh
        cache.add(name, 1, timeout=seconds * 2)
        return 1


def _count_in_database(key: str, window: int, seconds: int) -> int:
    q = connection.ops.quote_name
    table, hits = q(RateCounter._meta.db_table), q("hits")
    columns = ", ".join(q(name) for name in ("key", "window_start", "expires_at", "hits"))
    # One statement: the row is created or its count raised and read back under the
    # row's lock (PostgreSQL) or the database's write lock (SQLite), never in two steps.
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, 1) "  # noqa: S608 (names only)
        f"ON CONFLICT ({q('key')}, {q('window_start')}) "
        f"DO UPDATE SET {hits} = {table}.{hits} + 1 RETURNING {hits}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, window, window + seconds])
        count = cursor.fetchone()[0]
    if count == 1 and random.random() < CLEAN_UP_CHANCE:
        forget_expired()
    return count


def reset(key: str, *, seconds: int) -> None:
    """Forget the hits on `key` in the current window (a login that succeeded)."""
    window = int(time.time() // seconds) * seconds
    if settings.CACHE_URL:
        cache.delete(f"outcry:limit:{key}:{window}")
    else:
        RateCounter.objects.filter(key=key, window_start=window).delete()


def forget_expired(now: float | None = None) -> int:
    """Delete the database counters of windows that are over; return how many."""
    deleted, _ = RateCounter.objects.filter(expires_at__lt=now or time.time()).delete()
    return deleted


def too_many_requests(request, retry_after: int):
    response = render(request, "429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    patch_cache_control(response, no_store=True)
    return response


def rate_limited(kind: str):
    """Limit a view's POSTs to `settings.RATE_LIMITS[kind]` = (hits, seconds) per IP hash."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                per, seconds = settings.RATE_LIMITS[kind]
                key = f"{kind}:{ip_hash(client_ip(request))}"
                retry_after = limit(key, per=per, seconds=seconds)
                if retry_after is not None:
                    return too_many_requests(request, retry_after)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
