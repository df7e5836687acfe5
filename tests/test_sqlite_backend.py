"""outcry.sqlite_backend: write transactions take a lock file beside the database,
and give it back however they end. Runs on its own SQLite file in both test
passes, whatever database the suite itself uses."""

import fcntl
import os
import threading
from contextlib import contextmanager

import pytest
from django.db import OperationalError
from django.db.utils import ConnectionHandler


@pytest.fixture
def db_file(tmp_path, django_db_blocker):
    with django_db_blocker.unblock():  # a database of the test's own, not the suite's
        yield tmp_path / "outcry.sqlite3"


def connect(db_file, timeout: float = 20):
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "outcry.sqlite_backend",
                "NAME": str(db_file),
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
            }
        }
    )
    connection = handler["default"]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS t (v INTEGER)")
    return connection


def begin(connection):
    """What Django's atomic() does on entering its outermost block."""
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def end(connection, *, commit=True):
    connection.commit() if commit else connection.rollback()
    connection.set_autocommit(True)


@contextmanager
def held(db_file):
    """The writer lock, taken as another process would."""
    fd = os.open(f"{db_file}-writer", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        os.close(fd)


def lock_is_free(db_file) -> bool:
    fd = os.open(f"{db_file}-writer", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


@pytest.mark.parametrize("commit", [True, False])
def test_a_write_transaction_holds_the_lock_until_it_ends(db_file, commit):
    connection = connect(db_file)
    assert lock_is_free(db_file)
    begin(connection)
    assert not lock_is_free(db_file)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (1)")
    end(connection, commit=commit)
    assert lock_is_free(db_file)
    with connection.cursor() as cursor:
        assert cursor.execute("SELECT COUNT(*) FROM t").fetchone()[0] == int(commit)
    assert oct(os.stat(f"{db_file}-writer").st_mode)[-3:] == "600"


def test_closing_the_connection_mid_transaction_frees_the_lock(db_file):
    connection = connect(db_file)
    begin(connection)
    connection.close()
    assert lock_is_free(db_file)


def test_a_writer_waits_for_the_lock_and_goes_on_when_it_is_freed(db_file):
    connection = connect(db_file)
    connection.inc_thread_sharing()  # used from the thread below, not at the same time
    done = threading.Event()

    def write():
        begin(connection)
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (2)")
        end(connection)
        done.set()

    with held(db_file):
        writer = threading.Thread(target=write)
        writer.start()
        assert not done.wait(0.3), "the writer went on while another held the lock"
    assert done.wait(10), "the writer never went on"
    writer.join()
    with connection.cursor() as cursor:
        assert cursor.execute("SELECT v FROM t").fetchall() == [(2,)]


def test_a_writer_gives_up_after_the_timeout_and_can_write_later(db_file):
    connection = connect(db_file, timeout=0.05)
    with held(db_file), pytest.raises(OperationalError, match="database is locked"):
        begin(connection)
    connection.set_autocommit(True)
    assert lock_is_free(db_file)
    begin(connection)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (3)")
    end(connection)
    assert lock_is_free(db_file)
