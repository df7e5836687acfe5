"""Fixtures shared by the guard's tests: the rate-limit and robot-check back ends."""

import os
import time
import uuid

import pytest
import time_machine
from django.core.cache import cache

# Database 15 of the local Redis; each test deletes only its own prefixed keys.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis(settings):
    """Point the cache, and so the limits, at Redis (REDIS_URL, a real server).

    Keys get a prefix of their own, so test runs sharing the Redis never meet.
    """
    settings.CACHE_URL = REDIS_URL
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    client = cache._cache.get_client(write=True)
    try:
        client.ping()
    except Exception as exc:  # the Redis client's connection errors have no common Django base
        # The Redis path is what production runs: without a server this must fail, not skip.
        pytest.fail(f"no Redis at {REDIS_URL} ({exc}): start one, e.g. redis-server --port 6379")
    yield
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture(params=["database", "redis"])
def backend(request):
    if request.param == "redis":
        request.getfixturevalue("redis")
    return request.param


@pytest.fixture
def mid_minute():
    """Time stands still 15 s into a minute: no test straddles a window's edge."""
    with time_machine.travel(int(time.time()) // 60 * 60 + 15, tick=False):
        yield
