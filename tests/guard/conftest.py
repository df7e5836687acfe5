"""Fixtures shared by the guard's tests: the rate-limit and robot-check back ends."""

import time

import pytest
import time_machine

# `redis` (a real Redis behind the cache) is in tests/conftest.py.


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
