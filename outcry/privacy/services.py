"""One person's data: the consents they give, what Outcry holds for their address,
and withdrawing, stopping updates and erasing it.

Two functions are the only places that know how a person's records are found
and how a record is made anonymous: `records_for()` and `anonymise()`. Retention
uses the same `anonymise()`.
"""

import logging
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from outcry.actions.models import CHANNELS, ActionReport, LetterBatch, SentLetter
from outcry.campaigns.models import Comment, Organisation
from outcry.organiser.models import AuditEntry
from outcry.outbox.models import Message
from outcry.privacy import consent
from outcry.privacy.digest import email_digest
from outcry.privacy.models import ConsentKind, ConsentLog, ConsentText, DoNotContact
from outcry.signing.models import CountDelta, NameDisplay, Signature

log = logging.getLogger(__name__)

Record, Via = ConsentLog.Record, ConsentLog.Via


# Consents ------------------------------------------------------------------


def consent_text(kind: str, language: str) -> ConsentText:
    """The stored copy of the text of `kind` the form shows now in `language`."""
    return consent_texts([kind], language)[kind]


def consent_texts(kinds, language: str) -> dict[str, ConsentText]:
    """The stored copies of the texts of `kinds` shown now in `language`, by kind: one
    query once they are stored, however many kinds a form asks for."""
    wanted = {}
    for kind in kinds:
        version, shown = consent.CURRENT[kind], consent.text_language(kind, language)
        wanted[kind, version, shown] = consent.TEXTS[kind, version][shown]
    if not wanted:
        return {}
    match = Q()
    for kind, version, shown in wanted:
        match |= Q(kind=kind, version=version, language=shown)
    texts = {(t.kind, t.version, t.language): t for t in ConsentText.objects.filter(match)}
    for key, wording in wanted.items():
        if key not in texts:  # first use of this text: store it (once, whoever is first)
            texts[key], _created = ConsentText.objects.get_or_create(
                kind=key[0], version=key[1], language=key[2], defaults={"text": wording}
            )
        if texts[key].text != wording:
            label = texts[key].label
            raise ImproperlyConfigured(
                f"consent text {label} was changed in place: publish it as a new version"
            )
        _remember_text_id(*key, wording, texts[key].pk)
    return {key[0]: texts[key] for key in wanted}


# (kind, version, language, wording) -> ConsentText id, per process. Sound because a
# stored text never changes (the database refuses UPDATE) and is never deleted while
# a log entry points at it (PROTECT). The only way an id could go stale is a row
# that was never committed: the first signer's transaction, which inserts the text,
# can still roll back. So an id is remembered only once its row is known committed
# (`on_commit`; a rollback discards the callback). Keyed by the wording too, so a
# text edited in place is still caught by the check above. Why not trust the id and
# retry on a foreign-key error instead: the key is checked at COMMIT (deferred), so
# the error would fail the whole signature. Wiping the database (`outcry flush`)
# removes rows: flush forgets this process's ids, and other processes must be
# restarted after a wipe anyway. Tests that roll back rows whose commit they faked
# (`django_capture_on_commit_callbacks`) start each test cold (tests/conftest.py).
_text_ids: dict[tuple[str, str, str, str], int] = {}


def _remember_text_id(kind: str, version: str, language: str, wording: str, pk: int) -> None:
    def remember():
        _text_ids[kind, version, language, wording] = pk

    transaction.on_commit(remember)


def consent_text_ids(kinds, language: str) -> dict[str, int]:
    """The ids of `consent_texts(kinds, language)`: no query once this process has seen
    them, one for those it has not."""
    ids, unseen = {}, []
    for kind in kinds:
        version, shown = consent.CURRENT[kind], consent.text_language(kind, language)
        pk = _text_ids.get((kind, version, shown, consent.TEXTS[kind, version][shown]))
        if pk is None:
            unseen.append(kind)
        else:
            ids[kind] = pk
    ids.update((kind, text.pk) for kind, text in consent_texts(unseen, language).items())
    return ids


def consent_text_id(kind: str, language: str) -> int:
    """The id of `consent_text(kind, language)`: no query once this process has seen it."""
    return consent_text_ids([kind], language)[kind]


def forget_consent_texts() -> None:
    """Drop the remembered ids: after the database was wiped (tests)."""
    _text_ids.clear()


def signing_consents(*, wants_updates: bool, name_display: str) -> list[str]:
    """The consents a signer gives: signing itself, and each choice they made on the form."""
    kinds = [ConsentKind.SIGNING]
    if wants_updates:
        kinds.append(ConsentKind.UPDATES)
    if name_display != NameDisplay.ANONYMOUS:
        kinds.append(ConsentKind.SHOW_NAME)
    return kinds


def record_consents(
    *, email: str, record: str, record_id: int, kinds, language: str, via: str, now=None
) -> None:
    """Log each consent in `kinds` as given now, to the text the form showed."""
    digest = email_digest(email)
    kinds = list(kinds)
    text_ids = consent_text_ids(kinds, language)
    ConsentLog.objects.bulk_create(
        ConsentLog(
            text_id=text_ids[kind],
            given=True,
            email_digest=digest,
            record=record,
            record_id=record_id,
            via=via,
            created_at=now or timezone.now(),
        )
        for kind in kinds
    )


def record_withdrawals(*, kind: str, record: str, rows, via: str, now=None) -> int:
    """Log the withdrawal of `kind` for each (record id, e-mail, language) in `rows`.

    Each withdrawal points at the text that record agreed to (its latest given
    entry), or at today's text for a record older than the log.
    """
    rows = list(rows)
    if not rows:
        return 0
    agreed = dict(
        ConsentLog.objects.filter(
            record=record, record_id__in=[r[0] for r in rows], text__kind=kind, given=True
        )
        .order_by("id")
        .values_list("record_id", "text_id")
    )
    ConsentLog.objects.bulk_create(
        ConsentLog(
            text_id=agreed.get(record_id) or consent_text_id(kind, language),
            given=False,
            email_digest=email_digest(email),
            record=record,
            record_id=record_id,
            via=via,
            created_at=now or timezone.now(),
        )
        for record_id, email, language in rows
    )
    return len(rows)


def withdraw_updates(*, signatures: QuerySet, reports: QuerySet, via: str, now=None) -> int:
    """Stop updates for these signatures and reports, logging each withdrawal."""
    fields = ("pk", "email", "language")
    signatures = signatures.filter(wants_updates=True)
    reports = reports.filter(wants_updates=True)
    n = record_withdrawals(
        kind=ConsentKind.UPDATES,
        record=Record.SIGNATURE,
        rows=signatures.values_list(*fields),
        via=via,
        now=now,
    ) + record_withdrawals(
        kind=ConsentKind.CASE_UPDATES,
        record=Record.REPORT,
        rows=reports.values_list(*fields),
        via=via,
        now=now,
    )
    # modified_at/updated_at: the API's modified_date filter must see the change.
    signatures.update(wants_updates=False, modified_at=timezone.now())
    reports.update(wants_updates=False, updated_at=timezone.now())
    return n


# Finding and anonymising ---------------------------------------------------


@dataclass
class Holdings:
    signatures: QuerySet
    batches: QuerySet
    reports: QuerySet
    comments: QuerySet
    messages: QuerySet
    consents: QuerySet


def records_for(email: str) -> Holdings:
    """Everything Outcry holds for this address: the one place a person is found by e-mail."""
    # Encrypted addresses cannot be compared by the database: every table keeps
    # the keyed digest of the canonical address beside them.
    digest = email_digest(email.strip())
    return Holdings(
        signatures=Signature.objects.filter(email_digest=digest),
        batches=LetterBatch.objects.filter(email_digest=digest),
        reports=ActionReport.objects.filter(email_digest=digest),
        comments=Comment.objects.filter(email_digest=digest),
        messages=Message.objects.filter(to_digest=digest),
        consents=ConsentLog.objects.filter(email_digest=digest),
    )


@dataclass
class Anonymised:
    signatures: int = 0
    reports: int = 0
    batches: int = 0
    comments: int = 0


def anonymise(
    *, signatures: QuerySet, reports: QuerySet, batches: QuerySet, comments: QuerySet
) -> Anonymised:
    """Strip what names a person from these records, keeping what the counts need.

    A signature keeps its petition, state, times, country and language, so it
    still counts, in the same place on every chart, and `outcry reconcile`
    agrees; it shows as "Anonymous". Letters keep their target and delivery;
    reports their numbers and country; comments their words, under their name
    as published. Records anonymised before are left alone.
    """
    done = Anonymised()
    # A NULL digest marks a record anonymised: nothing can find it by address any more.
    done.signatures = signatures.exclude(email_digest__isnull=True).update(
        name="",
        name_display=NameDisplay.ANONYMOUS,
        email="",
        email_digest=None,
        domain_digest="",
        postcode="",
        ip_hash="",
        ip_digest="",
        wants_updates=False,
        token_hash=None,
        token_expires_at=None,
        modified_at=timezone.now(),
    )
    done.reports = reports.exclude(email_digest__isnull=True).update(
        email="", email_digest=None, wants_updates=False, updated_at=timezone.now()
    )
    batch_ids = list(batches.exclude(email_digest__isnull=True).values_list("pk", flat=True))
    letters = SentLetter.objects.filter(batch__in=batch_ids)
    # The letter as sent ends with the writer's name; the outbox row keeps it too.
    Message.objects.filter(pk__in=letters.values("message_id")).update(context={}, reply_to="")
    letters.update(body="")
    done.batches = LetterBatch.objects.filter(pk__in=batch_ids).update(
        name="",
        email="",
        email_digest=None,
        token_hash=None,
        token_expires_at=None,
        modified_at=timezone.now(),
    )
    done.comments = comments.exclude(email_digest__isnull=True).update(email="", email_digest=None)
    return done


# The "my data" page --------------------------------------------------------


def withdraw_signature(*, email: str, signature_id: int, now=None) -> Signature | None:
    """Remove one of this address's signatures; a counted one leaves the count."""
    now = now or timezone.now()
    with transaction.atomic():
        signature = (
            records_for(email)
            .signatures.select_for_update(of=("self",))
            .select_related("petition__organisation")
            .filter(pk=signature_id)
            .first()
        )
        if signature is None:
            return None
        if signature.state == Signature.State.CONFIRMED:
            # Through the ledger like every count change: the petition row stays cold.
            CountDelta.objects.create(petition_id=signature.petition_id, delta=-1, created_at=now)
        given = signing_consents(
            wants_updates=signature.wants_updates, name_display=signature.name_display
        )
        for kind in given:
            record_withdrawals(
                kind=kind,
                record=Record.SIGNATURE,
                rows=[(signature.pk, signature.email, signature.language)],
                via=Via.MY_DATA,
                now=now,
            )
        signature.delete()
        petition = signature.petition
        # The organisers' audit log, as organiser.services.audit writes it (that module
        # imports signing, which imports this one): what happened, never who.
        AuditEntry.objects.create(
            organisation=petition.organisation,
            verb="signature withdrawn by its signer",
            subject=petition.title[:200],
            detail={"petition": petition.pk},
        )
    log.info("privacy: a signature on petition %s was withdrawn by its signer", petition.pk)
    return signature


def stop_all_updates(*, email: str, now=None) -> int:
    """No more updates to this address from any petition or case; how many were stopped."""
    held = records_for(email)
    with transaction.atomic():
        return withdraw_updates(
            signatures=held.signatures, reports=held.reports, via=Via.MY_DATA, now=now
        )


def erase(*, email: str, now=None) -> Anonymised:
    """Erase what Outcry holds for this address, and never mail it unasked again.

    Signatures, reports and letters stay anonymous so every count and delivered
    total stays true; comments and the e-mails sent to the address go; letters
    still waiting to be sent are not sent. The address's digest joins the
    do-not-contact list (see outcry.privacy.contact).
    """
    now = now or timezone.now()
    held = records_for(email)
    with transaction.atomic():
        organisations = Counter(
            held.signatures.values_list("petition__organisation", flat=True).order_by()
        )
        organisations.update(held.reports.values_list("action__organisation", flat=True))
        organisations.update(held.batches.values_list("action__organisation", flat=True))
        organisations.update(held.comments.values_list("petition__organisation", flat=True))
        fields = ("pk", "email", "language")
        withdraw_updates(signatures=held.signatures, reports=held.reports, via=Via.ERASURE, now=now)
        signed = held.signatures.values_list(*fields)
        record_withdrawals(
            kind=ConsentKind.SIGNING, record=Record.SIGNATURE, rows=signed, via=Via.ERASURE, now=now
        )
        record_withdrawals(
            kind=ConsentKind.SHOW_NAME,
            record=Record.SIGNATURE,
            rows=signed.exclude(name_display=NameDisplay.ANONYMOUS),
            via=Via.ERASURE,
            now=now,
        )
        waiting = SentLetter.objects.filter(
            Q(message__isnull=True) | Q(message__state=Message.State.QUEUED),
            batch__in=held.batches,
        )
        Message.objects.filter(pk__in=waiting.values("message_id")).delete()
        waiting.delete()
        comments = held.comments.count()
        held.comments.delete()
        held.messages.delete()
        done = anonymise(
            signatures=held.signatures,
            reports=held.reports,
            batches=held.batches,
            comments=Comment.objects.none(),
        )
        done.comments = comments
        DoNotContact.objects.get_or_create(email_digest=email_digest(email))
        for organisation in Organisation.objects.filter(pk__in=organisations):
            AuditEntry.objects.create(
                organisation=organisation,
                verb="supporter erased their data",
                subject=f"{organisations[organisation.pk]} record(s)",
            )
    log.info("privacy: an address erased its data: %s", done)
    return done


def lift_do_not_contact(email: str) -> None:
    """They came back and confirmed something new: mail them again as they now ask."""
    DoNotContact.objects.filter(email_digest=email_digest(email)).delete()


def export(email: str) -> dict:
    """What Outcry holds for this address, as plain data for a JSON download."""
    held = records_for(email)
    return {
        "email": email,
        "signatures": [
            {
                "petition": s.petition.title,
                "signed_at": s.created_at,
                "confirmed_at": s.confirmed_at,
                "name": s.name,
                "name_shown_as": s.public_name,
                "email": s.email,
                "country": str(s.country),
                "postcode": s.postcode,
                "wants_updates": s.wants_updates,
                "language": s.language,
            }
            for s in held.signatures.select_related("petition").order_by("id")
        ],
        "letters": [
            {
                "action": f"{b.action.number}: {b.action.headline}",
                "written_at": b.created_at,
                "confirmed_at": b.confirmed_at,
                "name": b.name,
                "country": str(b.country),
                "letters": [
                    {"to": str(x.target), "subject": x.subject, "body": x.body}
                    for x in b.letters.select_related("target").order_by("id")
                ],
            }
            for b in held.batches.select_related("action").order_by("id")
        ],
        "action_reports": [
            {
                "action": f"{r.action.number}: {r.action.headline}",
                "reported_at": r.created_at,
                "updated_at": r.updated_at,
                "country": str(r.country),
                "actions": {field: getattr(r, field) for field, _label in CHANNELS},
                "wants_updates": r.wants_updates,
            }
            for r in held.reports.select_related("action").order_by("id")
        ],
        "comments": [
            {
                "petition": c.petition.title,
                "written_at": c.created_at,
                "name": c.name,
                "text": c.text,
            }
            for c in held.comments.select_related("petition").order_by("id")
        ],
        "consents": [
            {
                "given": c.given,
                "at": c.created_at,
                "consent": c.text.label,
                "text": c.text.text,
                "record": c.record,
                "record_id": c.record_id,
            }
            for c in held.consents.select_related("text").order_by("id")
        ],
    }
