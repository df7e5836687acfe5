import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from outcry.actions.services import tell_followers
from outcry.fraud.rules import check_signatures
from outcry.guard.challenges import forget_spent
from outcry.outbox.services import deliver_due
from outcry.privacy.retention import apply_retention
from outcry.signing.services import apply_count_deltas, mail_updates, reconcile
from outcry.webhooks.services import deliver_due as deliver_webhooks
from outcry.webhooks.services import prune_deliveries

log = logging.getLogger("outcry.worker")

RECONCILE_EVERY = 24 * 3600
# Retention and the webhook log's clean-up work in months and days: once an hour
# is prompt enough, and cheap.
RETENTION_EVERY = 3600
# A tick's queries cost about as much for a few rows as for a batch. After a tick that
# found little to do, the next waits a moment so a steady flow (a rush's signatures
# and e-mails) gathers into batches, on a database the signers share; after one that
# found a batch's worth, the next starts at once. With nothing to do, it waits longer.
GATHER_BELOW, GATHER_SECONDS, IDLE_SECONDS = 50, 0.2, 1.0


def next_pause(done: int) -> float:
    """Seconds to wait before the next tick, after one that did `done` things."""
    if not done:
        return IDLE_SECONDS
    return GATHER_SECONDS if done < GATHER_BELOW else 0.0


class Command(BaseCommand):
    help = (
        "Send queued e-mail and webhooks, apply count changes and mail updates, until "
        "stopped; recount daily, apply retention and prune the webhook log hourly."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Drain what is due, then exit.")

    def handle(self, *args, once=False, **options):
        self.stopping = False
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            if once:
                self.drain()
            else:
                self.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("worker stopped")

    def drain(self) -> None:
        # --once runs from cron or a deploy script: an error must end it with a
        # failing exit status, not be logged and swallowed.
        while not self.stopping and self.tick():
            pass

    def run(self) -> None:
        log.info("worker started (mail: %s)", "local mailbox" if settings.LOCAL_MAIL else "SMTP")
        last_reconcile = time.monotonic()
        last_retention = None
        pause = 0.0
        while not self.stopping:
            try:
                done = self.tick()
                if time.monotonic() - last_reconcile > RECONCILE_EVERY:
                    reconcile()
                    last_reconcile = time.monotonic()
                if last_retention is None or time.monotonic() - last_retention > RETENTION_EVERY:
                    apply_retention()
                    prune_deliveries()
                    forget_spent()  # used robot-check challenges, expired anyway by now
                    last_retention = time.monotonic()
                pause = next_pause(done)
            except Exception:
                # Database away or similar: nothing is lost (it is all still in the
                # tables), so wait a little longer each time and try again.
                log.exception("worker tick failed")
                close_old_connections()
                pause = min(max(pause * 2, 1.0), 30.0)
            self.sleep(pause)

    def tick(self) -> int:
        close_old_connections()
        # Fraud rules first, so a fraudulent signature's -1 is in this tick's counts.
        return (
            check_signatures()
            + apply_count_deltas()
            + mail_updates()
            + tell_followers()
            + deliver_due()
            + deliver_webhooks()
        )

    def sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < end:
            time.sleep(0.1)

    def stop(self, signum, frame):
        # Finish the batch in hand, then leave; leases cover a harder kill.
        self.stopping = True
