import os
import uuid

import pytest
from django.core.management import call_command


@pytest.fixture(scope="session", autouse=True)
def _static_files(django_db_setup):
    """Pages use the production (manifest) static storage, so collect once per run."""
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _english_by_default():
    """A request in Spanish leaves Spanish active in the thread; start each test in English."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Test users need no slow hash; production keeps Django's default."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _forget_consent_texts():
    """Remembered consent-text ids outlive a test's database (a flush after a
    transactional test makes new rows with new ids): start each test cold."""
    from outcry.privacy.services import forget_consent_texts

    forget_consent_texts()
    yield
    forget_consent_texts()


@pytest.fixture(autouse=True)
def _empty_cache():
    """The page cache (outcry.campaigns.pagecache) and cached figures keyed by ids a
    rolled-back test hands out again live in the process's memory cache: each test
    starts without what an earlier one stored. (A Redis cache is
    never cleared whole: it may be shared; the `redis` fixture cleans its own keys.)"""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


# Database 15 of the local Redis; each test deletes only its own prefixed keys.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis(settings):
    """Point the cache (and so the rate limits and the page cache) at Redis (REDIS_URL,
    a real server).

    Keys get a prefix of their own, so test runs sharing the Redis never meet.
    """
    from django.core.cache import cache

    settings.CACHE_URL = REDIS_URL
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "outcry.rediscache.RedisCache",
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


@pytest.fixture(autouse=True)
def _small_work_factor(settings):
    """Campaigns made in tests ask for little proof-of-work, so solving it is quick."""
    settings.ALTCHA_MAX_NUMBER = 1000
