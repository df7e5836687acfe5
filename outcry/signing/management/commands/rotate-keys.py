"""`outcry rotate-keys`: re-encrypt all personal data with the newest key.

Rotating a key: put a new key first in ENCRYPTION_KEYS (keep the old ones after
it), deploy, run this command, then drop the old key. Until it has finished,
rows under the old key stay readable through the old key.
"""

from django.core.management.base import BaseCommand
from django.db import connection

from outcry.privacy.fields import encrypted_columns, rotate_rows


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column with the first key of ENCRYPTION_KEYS, in "
        "batches; safe while the site runs, and resumes where an interrupted run stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500, help="rows per transaction")

    def handle(self, *args, batch, **options):
        total = 0
        for model, fields in encrypted_columns():
            table = model._meta.db_table
            changed = rotate_rows(
                connection,
                table,
                [f.column for f in fields],
                batch=max(batch, 1),
                pk=model._meta.pk.column,
            )
            total += changed
            self.stdout.write(f"{table}: {changed} rows re-encrypted")
        self.stdout.write(
            f"Done: {total} rows re-encrypted. Every value is now under the first key; "
            "the other keys in ENCRYPTION_KEYS can be dropped."
        )
