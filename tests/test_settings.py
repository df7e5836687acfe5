"""Settings come from the environment, and a bad value stops start-up naming it."""

import os
import subprocess
import sys

import pytest


def start(env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "EMAIL_URL"}}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "outcry", "check"],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


KEY = "vJ0yk7Y0b7m0Z9gQ6H1ZC4nqv3FQm3oLr8x0m2vW9yQ="  # a Fernet key
PUBLIC = {
    "ALLOWED_HOSTS": "outcry.example.org",
    "SECRET_KEY": "x" * 60,
    "EMAIL_URL": "smtp://m:25",
    "ENCRYPTION_KEYS": KEY,
    "LOOKUP_KEY": "k" * 40,
}


def test_a_public_install_with_every_key_starts(tmp_path):
    result = start({"OUTCRY_VAR_DIR": str(tmp_path), **PUBLIC})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"EMAIL_URL": "http://mail"}, "EMAIL_URL"),
        ({"CACHE_URL": "memcached://x"}, "CACHE_URL"),
        ({"EMAIL_TIMEOUT": "soon"}, "EMAIL_TIMEOUT"),
        ({"ALLOWED_HOSTS": "outcry.example.org", "EMAIL_URL": "smtp://m:25"}, "SECRET_KEY"),
        ({**PUBLIC, "EMAIL_URL": ""}, "EMAIL_URL"),
        # Personal data is encrypted: a public install brings its own keys.
        ({**PUBLIC, "ENCRYPTION_KEYS": ""}, "ENCRYPTION_KEYS"),
        ({**PUBLIC, "ENCRYPTION_KEYS": f"{KEY},not-a-key"}, "ENCRYPTION_KEYS"),
        ({**PUBLIC, "LOOKUP_KEY": ""}, "LOOKUP_KEY"),
        ({**PUBLIC, "LOOKUP_KEY": "short"}, "LOOKUP_KEY"),
        ({"ENCRYPTION_KEYS": "bad"}, "ENCRYPTION_KEYS"),
    ],
)
def test_bad_setting_stops_start_up_naming_the_variable(tmp_path, env, named):
    result = start({"OUTCRY_VAR_DIR": str(tmp_path), **env})
    assert result.returncode != 0
    assert named in result.stderr.splitlines()[-1]


def test_local_install_generates_and_keeps_its_secret_key(tmp_path):
    assert start({"OUTCRY_VAR_DIR": str(tmp_path)}).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert start({"OUTCRY_VAR_DIR": str(tmp_path)}).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"


def test_local_install_generates_and_keeps_its_encryption_and_lookup_keys(tmp_path):
    assert start({"OUTCRY_VAR_DIR": str(tmp_path)}).returncode == 0
    keys = {name: (tmp_path / name).read_text() for name in ("encryption_keys", "lookup_key")}
    assert start({"OUTCRY_VAR_DIR": str(tmp_path)}).returncode == 0
    for name, key in keys.items():
        assert (tmp_path / name).read_text() == key
        assert oct((tmp_path / name).stat().st_mode)[-3:] == "600"


@pytest.mark.django_db
def test_database_settings_suit_the_engine(settings):
    from django.db import connection

    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
    else:
        assert connection.vendor == "postgresql"
        assert db["CONN_HEALTH_CHECKS"] is True and db["CONN_MAX_AGE"] > 0
