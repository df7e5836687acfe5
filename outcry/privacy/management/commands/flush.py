"""`outcry flush` empties every table, the append-only consent log included.

On PostgreSQL flush is a TRUNCATE, which the row triggers do not see. SQLite
has no TRUNCATE: it deletes row by row, so the log's DELETE trigger is lifted
for the wipe and put back in the same transaction. This is the only path that
removes log entries; the test suite relies on it between transactional tests.
The consent-text ids this process remembers go with the rows.
"""

from django.core.management.commands import flush
from django.db import connections, transaction

from outcry.privacy.append_only import sqlite_create, trigger_name
from outcry.privacy.services import forget_consent_texts

LOG, DELETE = "privacy_consentlog", "DELETE"


class Command(flush.Command):
    def handle(self, **options):
        forget_consent_texts()
        connection = connections[options["database"]]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger_name(LOG, DELETE)}")
            super().handle(**options)
            cursor.execute(sqlite_create(LOG, DELETE))
