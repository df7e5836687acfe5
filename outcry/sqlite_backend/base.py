"""SQLite whose writers wait for the write lock without oversleeping.

SQLite has one write lock. A connection that finds it taken sleeps in SQLite's
busy handler and tries again after 1, 2, 5, 10, 15 … 100 ms: under a spike most
waiting signers sleep tens of milliseconds past the moment the lock was freed,
and the lock sits idle while they wait. Here every write transaction (Django's
atomic() sends BEGIN IMMEDIATE, settings.py) first takes an exclusive flock() on
a file beside the database, trying again after at most 2 ms, so with several
waiting one of them takes the lock within a fraction of a millisecond. A
process that dies releases its flock with its file descriptor.

The wait is bounded like SQLite's (the `timeout` option): a blocking flock()
would be free of polling, but nothing could end it if a holder hung.
Writes outside atomic() and other programs (the sqlite3 shell, a backup) do
not take the flock: they meet SQLite's own lock and busy handler, as before.
"""

import fcntl
import os
import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base

LONGEST_PAUSE = 0.002  # seconds between two tries for the lock


class DatabaseWrapper(base.DatabaseWrapper):
    writer_lock = None  # the descriptor of the lock file, per connection (so per thread)

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            self.writer_lock = os.open(
                f"{self.settings_dict['NAME']}-writer", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
            )
        return connection

    def _start_transaction_under_autocommit(self):
        if self.writer_lock is None:
            return super()._start_transaction_under_autocommit()
        self._take_writer_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer_lock()
            raise

    def _commit(self):
        try:
            super()._commit()
        finally:
            self._release_writer_lock()

    def _rollback(self):
        try:
            super()._rollback()
        finally:
            self._release_writer_lock()

    def _close(self):
        try:
            super()._close()
        finally:
            if self.writer_lock is not None:
                os.close(self.writer_lock)  # also releases the flock, if held
                self.writer_lock = None

    def _take_writer_lock(self):
        deadline = time.monotonic() + self.settings_dict["OPTIONS"].get("timeout", 5)
        pause = 0.0001
        while True:
            try:
                fcntl.flock(self.writer_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OperationalError("database is locked") from None
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)

    def _release_writer_lock(self):
        if self.writer_lock is not None:
            fcntl.flock(self.writer_lock, fcntl.LOCK_UN)
