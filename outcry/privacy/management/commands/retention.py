from django.core.management.base import BaseCommand

from outcry.privacy.retention import apply_retention
from outcry.webhooks.services import prune_deliveries


class Command(BaseCommand):
    help = (
        "Make ended campaigns' supporters anonymous after RETENTION_MONTHS and delete "
        "signatures and letters never confirmed, and prune the webhook delivery log "
        "after WEBHOOK_LOG_DAYS (the worker also runs this hourly)."
    )

    def handle(self, *args, **options):
        pruned = prune_deliveries()
        if pruned:
            self.stdout.write(f"Deleted {pruned} webhook deliveries from the log.")
        run = apply_retention()
        if run is None:
            self.stdout.write("Nothing to do.")
            return
        self.stdout.write(
            f"Anonymised {run.signatures_anonymised} signatures, {run.reports_anonymised} "
            f"reports and {run.batches_anonymised} letter batches; deleted "
            f"{run.signatures_deleted} unconfirmed signatures and {run.batches_deleted} "
            "unconfirmed letter batches."
        )
