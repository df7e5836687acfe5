from django.core.management.base import BaseCommand
from django.db import OperationalError

from outcry.signing.services import reconcile


class Command(BaseCommand):
    help = "Recount every petition from its confirmed signatures and correct any drift."

    def handle(self, *args, **options):
        for attempt in range(5):
            try:
                corrections = reconcile()
                break
            except OperationalError:  # a concurrent count update won the race: try again
                if attempt == 4:
                    raise
        for c in corrections:
            self.stdout.write(f"{c.petition.slug}: showed {c.was}, corrected to {c.now}")
        if not corrections:
            self.stdout.write("All counts are right.")
