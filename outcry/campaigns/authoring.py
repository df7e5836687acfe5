"""Authoring workflows: save, lock, close and archive petitions and urgent actions.

Views in organiser/authoring.py parse and render; every change happens here, in
one transaction, with its audit entry.
"""

from collections.abc import Mapping, Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from outcry.actions.models import CaseTarget, SampleLetter, UrgentAction
from outcry.campaigns.models import Petition, PetitionRevision, Target
from outcry.organiser.services import audit
from outcry.webhooks import payloads
from outcry.webhooks.events import emit
from outcry.webhooks.models import Event

# What signers agreed to: once a petition is locked these change only as a
# public, noted revision.
LOCKED_FIELDS = ("title", "target_id", "letter")


class TextLocked(Exception):
    """A locked petition's title, target or letter changed without a material-change note."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def is_locked(petition: Petition) -> bool:
    return petition.pk is not None and petition.signature_count >= petition.lock_threshold


def save_petition(*, petition: Petition, user, material_note: str = "") -> Petition:
    """Create or update `petition` (already carrying the new values).

    The lock is checked against the stored row, read under a row lock, so a
    form that was valid a moment ago cannot slip past a threshold just reached.
    """
    with transaction.atomic():
        if petition.pk is None:
            petition.save()
            audit(
                organisation=petition.organisation,
                user=user,
                verb="created petition",
                subject=petition.title,
            )
            return petition
        before = Petition.objects.select_for_update().select_related("target").get(pk=petition.pk)
        changed = [f for f in LOCKED_FIELDS if getattr(before, f) != getattr(petition, f)]
        revision = None
        if is_locked(before):
            if petition.lock_threshold != before.lock_threshold:
                raise TextLocked(_("The lock threshold cannot change once the text is locked."))
            if changed and not material_note.strip():
                raise TextLocked(
                    _(
                        "Signers agreed to this title, target and letter. To change them, "
                        "tick “This is a material change” and write a public note."
                    )
                )
            if changed:
                revision = PetitionRevision.objects.create(
                    petition=before,
                    title=before.title,
                    target_name=str(before.target),
                    letter=before.letter,
                    note=material_note.strip(),
                    changed_by=user,
                )
        petition.save()
        audit(
            organisation=petition.organisation,
            user=user,
            verb="material change" if revision else "edited petition",
            subject=petition.title,
            **({"revision": revision.pk, "fields": changed} if revision else {}),
        )
    return petition


def close_petition(*, petition: Petition, user, now=None) -> Petition:
    """Stop taking signatures. Signatures made before may still be confirmed."""
    with transaction.atomic():
        if petition.closed_at is None:
            petition.closed_at = now or timezone.now()
            petition.save(update_fields=["closed_at", "modified_at"])
            audit(
                organisation=petition.organisation,
                user=user,
                verb="closed petition",
                subject=petition.title,
            )
            _closed(petition, closed_at=petition.closed_at)
    return petition


def _closed(campaign: Petition | UrgentAction, *, closed_at) -> None:
    emit(
        event=Event.CAMPAIGN_CLOSED,
        organisation_ids=[campaign.organisation_id],
        data=lambda: {
            "campaign": payloads.campaign(campaign),
            "closed": payloads.closed(campaign, closed_at=closed_at),
        },
        now=closed_at,
    )


def archive_petition(*, petition: Petition, user, now=None) -> Petition:
    """Take it off the public lists. Its own address keeps working for links already shared."""
    with transaction.atomic():
        if petition.archived_at is None:
            petition.archived_at = now or timezone.now()
            petition.save(update_fields=["archived_at", "modified_at"])
            audit(
                organisation=petition.organisation,
                user=user,
                verb="archived petition",
                subject=petition.title,
            )
    return petition


def save_urgent_action(
    *,
    action: UrgentAction,
    targets: Sequence[tuple[Target, str]],
    letters: Mapping[str, Mapping[str, str]],
    user,
) -> UrgentAction:
    """Save the case with its targets (in order, each with its group) and one letter per language.

    Languages missing from `letters` lose their sample letter.
    """
    with transaction.atomic():
        created = action.pk is None
        action.save()
        # The links carry no history of their own, so they are simply replaced.
        CaseTarget.objects.filter(action=action).delete()
        positions: dict[str, int] = {}
        for target, group in targets:
            CaseTarget.objects.create(
                action=action, target=target, group=group, position=positions.get(group, 0)
            )
            positions[group] = positions.get(group, 0) + 1
        action.letters.exclude(language__in=list(letters)).delete()
        for language, fields in letters.items():
            SampleLetter.objects.update_or_create(
                action=action, language=language, defaults=dict(fields)
            )
        audit(
            organisation=action.organisation,
            user=user,
            verb="created urgent action" if created else "edited urgent action",
            subject=str(action),
        )
    return action


def close_urgent_action(
    *, action: UrgentAction, outcome: str, user, now=None
) -> UrgentAction:
    """Close the case: Outcry sends no more letters; reports are still taken, marked late."""
    with transaction.atomic():
        was_closed = action.status == UrgentAction.Status.CLOSED
        action.status = UrgentAction.Status.CLOSED
        action.outcome = outcome
        # Retention counts from the first close (outcry.privacy.retention).
        action.closed_at = action.closed_at or now or timezone.now()
        action.save(update_fields=["status", "outcome", "closed_at", "modified_at"])
        if not was_closed:  # a later change of the outcome closes nothing
            _closed(action, closed_at=action.closed_at)
        audit(
            organisation=action.organisation,
            user=user,
            verb="closed urgent action",
            subject=str(action),
            outcome=outcome,
        )
    return action


def archive_urgent_action(*, action: UrgentAction, user, now=None) -> UrgentAction:
    with transaction.atomic():
        if action.archived_at is None:
            action.archived_at = now or timezone.now()
            action.save(update_fields=["archived_at", "modified_at"])
            audit(
                organisation=action.organisation,
                user=user,
                verb="archived urgent action",
                subject=str(action),
            )
    return action


def save_target(*, target: Target, user) -> Target:
    with transaction.atomic():
        created = target.pk is None
        target.save()
        audit(
            organisation=target.organisation,
            user=user,
            verb="added target" if created else "edited target",
            subject=str(target),
        )
    return target
