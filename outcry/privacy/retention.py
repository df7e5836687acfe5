"""Retention: personal data does not outlive its purpose.

RETENTION_MONTHS after a petition ends (closed or past its deadline) or an
urgent action closes (or passes its deadline), its signers, letter writers,
reporters and commenters are made anonymous with the same `anonymise()` as an
erasure, so every count stays as it was. Signatures and letters never
confirmed are deleted UNCONFIRMED_RETENTION_DAYS after they were made, once
their link has expired too; they never counted. Each run that changes
anything leaves a `RetentionRun` with its counts.
"""

import calendar
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from outcry.actions.models import ActionReport, LetterBatch, UrgentAction
from outcry.campaigns.models import Comment, Petition
from outcry.privacy.models import RetentionRun
from outcry.privacy.services import anonymise
from outcry.signing.models import Signature

log = logging.getLogger(__name__)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` earlier (the month's last day if it is shorter)."""
    month0 = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month0, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def ended_petitions(cutoff: datetime):
    return Petition.objects.filter(Q(closed_at__lt=cutoff) | Q(deadline__lt=cutoff))


def ended_actions(cutoff: datetime):
    # A deadline is a date: the case ran to the end of that day.
    last_day = timezone.localdate(cutoff) - timedelta(days=1)
    return UrgentAction.objects.filter(Q(closed_at__lt=cutoff) | Q(deadline__lte=last_day))


def apply_retention(*, now=None) -> RetentionRun | None:
    """Anonymise ended campaigns' supporters and delete stale unconfirmed records."""
    now = now or timezone.now()
    cutoff = months_before(now, settings.RETENTION_MONTHS)
    stale = now - timedelta(days=settings.UNCONFIRMED_RETENTION_DAYS)
    petitions = ended_petitions(cutoff)
    actions = ended_actions(cutoff)
    with transaction.atomic():
        done = anonymise(
            signatures=Signature.objects.filter(petition__in=petitions),
            reports=ActionReport.objects.filter(action__in=actions),
            batches=LetterBatch.objects.filter(action__in=actions),
            comments=Comment.objects.filter(petition__in=petitions),
        )
        # A signer who signed again recently holds a fresh link: theirs waits for it to expire.
        unconfirmed = Q(confirmed_at__isnull=True, created_at__lt=stale) & (
            Q(token_expires_at__isnull=True) | Q(token_expires_at__lt=now)
        )
        _total, deleted = Signature.objects.filter(unconfirmed).delete()
        signatures_deleted = deleted.get(Signature._meta.label, 0)
        batches = LetterBatch.objects.filter(unconfirmed)
        batches_deleted = batches.count()
        batches.delete()  # with their letters, never sent
        run = RetentionRun(
            ran_at=now,
            signatures_anonymised=done.signatures,
            reports_anonymised=done.reports,
            batches_anonymised=done.batches,
            signatures_deleted=signatures_deleted,
            batches_deleted=batches_deleted,
        )
        if not run.total:
            return None
        run.save()
    log.info(
        "retention: %s signatures, %s reports, %s letter batches anonymised; "
        "%s unconfirmed signatures and %s letter batches deleted",
        run.signatures_anonymised,
        run.reports_anonymised,
        run.batches_anonymised,
        run.signatures_deleted,
        run.batches_deleted,
    )
    return run


