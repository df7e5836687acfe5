"""Urgent actions: letters to officials, e-mailed through Outcry or not, and reports."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from outcry.actions.models import (
    CHANNELS,
    ActionReport,
    LetterBatch,
    SentLetter,
    UrgentAction,
)
from outcry.campaigns.models import Organisation, Target
from outcry.organiser.services import audit
from outcry.outbox.models import Message
from outcry.outbox.services import enqueue
from outcry.privacy.digest import email_digest
from outcry.privacy.models import ConsentKind, ConsentLog
from outcry.privacy.services import (
    lift_do_not_contact,
    record_consents,
    record_withdrawals,
    records_for,
    withdraw_updates,
)
from outcry.signing.models import Signature
from outcry.signing.services import localised_url
from outcry.signing.tokens import hash_token, new_token, signed, unsign
from outcry.webhooks import payloads
from outcry.webhooks.events import emit
from outcry.webhooks.models import Event

REPORT_SALT = "outcry.actions.report"
BATCH_SALT = "outcry.actions.batch"


class NotTakingLetters(Exception):
    pass


def compose(*, target: Target, language: str, body: str, name: str) -> str:
    """The letter as the target receives it: their salutation, the text, the writer's name."""
    body = body.replace("\r\n", "\n").strip()  # browsers post CRLF; letters use LF
    return f"{target.greeting(language)}\n\n{body}\n\n{name.strip()}\n"


@dataclass
class Draft:
    target: Target
    subject: str
    body: str  # composed, ready to send


def request_letters(
    *,
    action: UrgentAction,
    name: str,
    email: str,
    country: str,
    language: str,
    drafts: list[Draft],
    now=None,
) -> LetterBatch:
    """Keep the activist's letters and ask them to confirm their address before any goes out."""
    now = now or timezone.now()
    if not action.takes_letters(timezone.localdate(now)):
        raise NotTakingLetters
    raw, digest = new_token()
    with transaction.atomic():
        batch = LetterBatch.objects.create(
            action=action,
            name=name,
            email=email,
            email_digest=email_digest(email),
            country=country,
            language=language,
            token_hash=digest,
            token_expires_at=now + timedelta(days=settings.CONFIRMATION_TOKEN_DAYS),
            created_at=now,
        )
        SentLetter.objects.bulk_create(
            SentLetter(batch=batch, target=d.target, subject=d.subject, body=d.body) for d in drafts
        )
        enqueue(
            to=email,
            template="actions/email/confirm_letters",
            language=language,
            context={
                "name": name,
                "number": action.number,
                "headline": action.headline,
                "targets": [d.target.name for d in drafts],
                "confirm_url": localised_url("confirm_letters", language, raw),
                "days": settings.CONFIRMATION_TOKEN_DAYS,
            },
        )
    return batch


def batch_for_token(raw_token: str, *, now=None) -> LetterBatch | None:
    return (
        LetterBatch.objects.select_related("action")
        .filter(token_hash=hash_token(raw_token), token_expires_at__gt=now or timezone.now())
        .first()
    )


def confirm_letters(*, raw_token: str, now=None) -> LetterBatch | None:
    """Queue the batch's letters, each in the next free slot of its target's hourly cap."""
    now = now or timezone.now()
    spacing = timedelta(seconds=3600 / settings.LETTERS_PER_TARGET_PER_HOUR)
    with transaction.atomic():
        batch = (
            LetterBatch.objects.select_for_update()
            .select_related("action")
            .filter(token_hash=hash_token(raw_token), token_expires_at__gt=now)
            .first()
        )
        if batch is None:
            return None
        if not batch.action.takes_letters(timezone.localdate(now)):
            raise NotTakingLetters
        batch.token_hash = batch.token_expires_at = None
        batch.confirmed_at = now
        batch.save(update_fields=["token_hash", "token_expires_at", "confirmed_at", "modified_at"])
        lift_do_not_contact(batch.email)
        letters = list(batch.letters.order_by("target_id"))
        # Locking targets in id order: two batches to the same officials queue, never deadlock.
        targets = Target.objects.select_for_update().in_bulk([x.target_id for x in letters])
        for letter in letters:
            target = targets[letter.target_id]
            slot = max(now, target.next_email_slot or now)
            target.next_email_slot = slot + spacing
            target.save(update_fields=["next_email_slot"])
            letter.message = enqueue(
                to=target.emails[0],
                reply_to=batch.email,
                template="actions/email/letter",
                language=batch.language,
                context={"subject": letter.subject, "body": letter.body},
                not_before=slot,
            )
            letter.save(update_fields=["message"])
    return batch


def letter_sent(message: Message, *, now=None) -> None:
    """The outbox sent a letter's e-mail: tell the organisation's webhooks, in that transaction."""
    letter = (
        SentLetter.objects.select_related("batch__action", "target").filter(message=message).first()
    )
    if letter is None:
        return
    action = letter.batch.action
    emit(
        event=Event.LETTER_SENT,
        organisation_ids=[action.organisation_id],
        data=lambda: {
            "campaign": payloads.campaign(action),
            "letter": payloads.letter(letter, sent_at=now or timezone.now()),
        },
        now=now,
    )


def batch_token(batch: LetterBatch) -> str:
    return signed(batch, salt=BATCH_SALT)


def batch_for_status(token: str) -> LetterBatch | None:
    return unsign(LetterBatch.objects.select_related("action"), token, salt=BATCH_SALT)


def save_report(
    *, action: UrgentAction, data: dict, targets, language: str, report=None, now=None
) -> ActionReport:
    """Create or amend an activist's report; implausible numbers wait for an organiser."""
    now = now or timezone.now()
    created = report is None
    report = report or ActionReport(action=action, created_at=now)
    had_email, had_updates = report.email, report.wants_updates
    for field, _label in CHANNELS:
        setattr(report, field, data[field])
    report.country = data["country"]
    report.language = language
    report.updated_at = now
    report.email = data.get("email") or ""
    report.email_digest = email_digest(report.email) if report.email else None
    report.wants_updates = bool(report.email and data.get("wants_updates"))
    if report.status != ActionReport.Status.REJECTED:
        report.status = (
            ActionReport.Status.COUNTED if report.plausible() else ActionReport.Status.HELD
        )
    report.late = report.late or not action.takes_letters(timezone.localdate(now))
    with transaction.atomic():
        if had_updates and (not report.wants_updates or report.email.lower() != had_email.lower()):
            record_withdrawals(
                kind=ConsentKind.CASE_UPDATES,
                record=ConsentLog.Record.REPORT,
                rows=[(report.pk, had_email, language)],
                via=ConsentLog.Via.FORM,
                now=now,
            )
        report.save()
        report.targets.set(targets)
        emit(
            event=Event.ACTION_REPORTED,
            organisation_ids=[action.organisation_id],
            data=lambda: {
                "campaign": payloads.campaign(action),
                "report": payloads.report(report, amended=not created),
            },
            now=now,
        )
        if report.wants_updates and (
            not had_updates or report.email.lower() != had_email.lower()
        ):
            record_consents(
                email=report.email,
                record=ConsentLog.Record.REPORT,
                record_id=report.pk,
                kinds=[ConsentKind.CASE_UPDATES],
                language=language,
                via=ConsentLog.Via.FORM,
                now=now,
            )
        if report.email and (created or report.email.lower() != had_email.lower()):
            enqueue(
                to=report.email,
                template="actions/email/report_received",
                language=language,
                context={
                    "number": action.number,
                    "headline": action.headline,
                    "amend_url": localised_url("amend_report", language, report_token(report)),
                    "wants_updates": report.wants_updates,
                },
            )
    return report


def report_token(report: ActionReport) -> str:
    return signed(report, salt=REPORT_SALT)


def report_for_token(token: str) -> ActionReport | None:
    return unsign(ActionReport.objects.select_related("action"), token, salt=REPORT_SALT)


@dataclass
class Totals:
    channels: list[tuple[str, str, int]]  # field, label, total
    people: int
    by_country: list[tuple[str, int, int]]  # country code, people, actions
    emails_through_outcry: int

    @property
    def actions(self) -> int:
        return sum(n for _f, _l, n in self.channels)


def totals(action: UrgentAction) -> Totals:
    """What activists did on a case: counted reports plus letters Outcry delivered.

    Only aggregates leave this function: it is what the officials receive.
    """
    counted = ActionReport.objects.filter(action=action, status=ActionReport.Status.COUNTED)
    sums = {f: 0 for f, _label in CHANNELS}
    by_country: dict[str, list[int]] = {}  # country: [people, actions]
    reporters = set()
    for row in counted.values("country", "email_digest", *sums):
        acted = sum(row[f] for f in sums)
        for f in sums:
            sums[f] += row[f]
        entry = by_country.setdefault(row["country"], [0, 0])
        entry[0] += 1
        entry[1] += acted
        if row["email_digest"]:
            reporters.add(row["email_digest"])
    delivered = SentLetter.objects.filter(batch__action=action, message__state=Message.State.SENT)
    writers = (
        delivered.values("batch__email_digest", "batch__country")
        .annotate(n=Count("id"))
        .order_by()
    )
    outcry_emails = 0
    seen = set()
    for row in writers:
        email = row["batch__email_digest"]
        entry = by_country.setdefault(row["batch__country"], [0, 0])
        entry[1] += row["n"]
        outcry_emails += row["n"]
        # Someone who e-mailed through Outcry and reported under the same address is
        # one person, though both their letters and their other actions count.
        if email not in reporters and email not in seen:
            entry[0] += 1
            seen.add(email)
    sums["emails"] += outcry_emails
    return Totals(
        channels=[(f, label, sums[f]) for f, label in CHANNELS],
        people=sum(p for p, _n in by_country.values()),
        by_country=sorted(
            ((code, p, n) for code, (p, n) in by_country.items()), key=lambda r: (-r[2], r[0])
        ),
        emails_through_outcry=outcry_emails,
    )


UPDATES_SALT = "outcry.actions.updates"


def tell_followers(*, now=None) -> int:
    """E-mail a newly published follow-up to those who asked for updates on its case.

    Returns how many e-mails were queued; one follow-up a call, in one transaction.
    """
    now = now or timezone.now()
    with transaction.atomic():
        action = (
            UrgentAction.objects.select_for_update(skip_locked=True)
            .published(now)
            .filter(follows__isnull=False, followers_told_at__isnull=True)
            .order_by("published_at", "id")
            .first()
        )
        if action is None:
            return 0
        earlier = [a for a in action.chain() if a.pk != action.pk]
        reports = (
            ActionReport.objects.filter(action__in=earlier, wants_updates=True)
            .filter(email_digest__isnull=False)
            .order_by("email_digest", "-updated_at")
        )
        told = {}
        for report in reports:
            told.setdefault(report.email_digest, report)
        for report in told.values():
            stop = localised_url(
                "stop_case_updates", report.language, signed(report, salt=UPDATES_SALT)
            )
            enqueue(
                to=report.email,
                template="actions/email/follow_up",
                language=report.language,
                headers={
                    "List-Unsubscribe": f"<{stop}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
                context={
                    "number": action.number,
                    "headline": action.headline,
                    "summary": action.summary,
                    "url": absolute_localised(action, report.language),
                    "stop_url": stop,
                },
            )
        action.followers_told_at = now
        action.save(update_fields=["followers_told_at"])
    return len(told)


def absolute_localised(action: UrgentAction, language: str) -> str:
    return localised_url("action", language, action.serial, action.year)


def report_for_updates_token(token: str) -> ActionReport | None:
    return unsign(ActionReport.objects.select_related("action"), token, salt=UPDATES_SALT)


def stop_case_updates(token: str) -> ActionReport | None:
    """Stop updates for everyone behind this address on the whole case."""
    report = report_for_updates_token(token)
    if report is not None:
        chain = report.action.chain()
        with transaction.atomic():
            withdraw_updates(
                signatures=Signature.objects.none(),
                reports=records_for(report.email).reports.filter(action__in=chain),
                via=ConsentLog.Via.LINK,
            )
    return report


HELD_DECISIONS = {"count": ActionReport.Status.COUNTED, "reject": ActionReport.Status.REJECTED}
HELD_VERBS = {"count": "counted held reports", "reject": "rejected held reports"}


def held_reports(*, organisation: Organisation, action_id: int | None = None):
    reports = ActionReport.objects.filter(
        action__organisation=organisation, status=ActionReport.Status.HELD
    )
    if action_id is not None:
        reports = reports.filter(action_id=action_id)
    return reports.select_related("action").order_by("-updated_at", "-id")


def review_held_reports(*, organisation: Organisation, ids: list[int], decision: str, user) -> int:
    """Count or reject the organisation's held urgent-action reports among `ids`.

    Only held reports change: one counted or rejected already is not decided
    again from a stale page. Counted reports join actions.services.totals.
    """
    status = HELD_DECISIONS[decision]
    with transaction.atomic():
        decided = list(
            ActionReport.objects.select_for_update(of=("self",))
            .filter(action__organisation=organisation, status=ActionReport.Status.HELD, pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not decided:
            return 0
        ActionReport.objects.filter(pk__in=decided).update(status=status, updated_at=timezone.now())
        audit(
            organisation=organisation,
            user=user,
            verb=HELD_VERBS[decision],
            subject=f"{len(decided)} report(s)",
            ids=decided,
        )
    return len(decided)
