"""Signing a petition, confirming a signature, and keeping counts honest."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Sum
from django.urls import reverse
from django.utils import timezone, translation

from outcry.actions.models import ActionReport
from outcry.campaigns.models import Petition, PetitionUpdate
from outcry.fraud.disposable import is_disposable
from outcry.outbox.services import enqueue
from outcry.privacy.digest import canonical_email, domain_digest, email_digest, ip_digest
from outcry.privacy.models import ConsentLog
from outcry.privacy.services import (
    lift_do_not_contact,
    record_consents,
    signing_consents,
    withdraw_updates,
)
from outcry.signing.models import CountDelta, Signature
from outcry.signing.tokens import hash_token, new_token, signed, unsign
from outcry.webhooks import payloads
from outcry.webhooks.events import emit
from outcry.webhooks.models import Event

log = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "outcry.signing.unsubscribe"


class PetitionClosed(Exception):
    pass


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def localised_url(name: str, language: str, *args) -> str:
    with translation.override(language):
        return absolute(reverse(name, args=args))


def _send_confirmation(signature: Signature, raw_token: str) -> None:
    enqueue(
        to=signature.email,
        template="signing/email/confirm",
        language=signature.language,
        context={
            "name": signature.name,
            "petition_title": signature.petition.title,
            "confirm_url": localised_url("confirm", signature.language, raw_token),
            "days": settings.CONFIRMATION_TOKEN_DAYS,
        },
    )


def sign(
    *,
    petition: Petition,
    name: str,
    email: str,
    country: str,
    postcode: str,
    name_display: str,
    wants_updates: bool,
    language: str,
    ip_hash: str = "",
    referrer: str = "",
    utm_source: str = "",
    ip_listed: str = "",
    now=None,
) -> None:
    """Record a signature and queue the e-mail that confirms it.

    Returns nothing on purpose: the caller must show the same page whether this
    address signed before or not, so it is given nothing to tell them apart.

    `ip_listed` is the organisation's block/allow verdict on the signer's IP
    ("block", "allow" or ""), which only the request can know: a blocked
    signature is stored fraudulent and an allowed one exempt from the worker's
    rate rules (both are marked checked). The signer sees and receives the same.
    """
    now = now or timezone.now()
    if not petition.is_open(now):
        raise PetitionClosed
    raw, digest = new_token()
    expires = now + timedelta(days=settings.CONFIRMATION_TOKEN_DAYS)
    # The address is stored encrypted; its digest finds an earlier signature.
    mailbox = email_digest(email)
    # No savepoint of its own inside the sign view's transaction: an error here
    # rolls all of it back anyway (two statements fewer per signature).
    with transaction.atomic(savepoint=False):
        try:
            with transaction.atomic():
                signature = Signature.objects.create(
                    petition=petition,
                    name=name,
                    email=email,
                    email_digest=mailbox,
                    domain_digest=domain_digest(email),
                    country=country,
                    postcode=postcode,
                    name_display=name_display,
                    wants_updates=wants_updates,
                    language=language,
                    token_hash=digest,
                    token_expires_at=expires,
                    created_at=now,
                    ip_hash=ip_hash,
                    ip_digest=ip_digest(ip_hash),
                    referrer=referrer,
                    utm_source=utm_source,
                    disposable_domain=is_disposable(canonical_email(email).rpartition("@")[2]),
                    state=(
                        Signature.State.FRAUDULENT
                        if ip_listed == "block"
                        else Signature.State.PENDING
                    ),
                    checked_at=now if ip_listed else None,
                )
        except IntegrityError:
            signature = Signature.objects.select_for_update().get(
                petition=petition, email_digest=mailbox
            )
            if signature.confirmed_at is None:
                # Never confirmed: the first e-mail may be lost or expired, so send a
                # fresh link (silently fraudulent or not: the signer must not tell).
                signature.token_hash, signature.token_expires_at = digest, expires
                signature.save(update_fields=["token_hash", "token_expires_at"])
                _send_confirmation(signature, raw)
            else:
                enqueue(
                    to=email,
                    template="signing/email/already_signed",
                    language=language,
                    context={
                        "name": signature.name,
                        "petition_title": petition.title,
                        "petition_url": localised_url("petition", language, petition.slug),
                    },
                )
            return
        record_consents(
            email=email,
            record=ConsentLog.Record.SIGNATURE,
            record_id=signature.pk,
            kinds=signing_consents(wants_updates=wants_updates, name_display=name_display),
            language=language,
            via=ConsentLog.Via.FORM,
            now=now,
        )
        _send_confirmation(signature, raw)


def signature_for_token(raw_token: str, *, now=None) -> Signature | None:
    """The pending signature a confirmation link stands for, if the link is still good."""
    now = now or timezone.now()
    return (
        Signature.objects.select_related("petition")
        .filter(token_hash=hash_token(raw_token), token_expires_at__gt=now)
        .first()
    )


def confirm(*, raw_token: str, now=None) -> Signature | None:
    """Confirm the signature behind a link; None when the link is used up or expired."""
    now = now or timezone.now()
    with transaction.atomic():
        signature = (
            Signature.objects.select_for_update()
            .filter(token_hash=hash_token(raw_token), token_expires_at__gt=now)
            .first()
        )
        if signature is None:
            return None
        signature.confirmed_at = now
        signature.token_hash = signature.token_expires_at = None
        # A fraudulent or invalidated signature is confirmed just the same to its
        # signer, but does not count; confirmed_at records that they did confirm,
        # so undoing an invalidation can restore it as confirmed.
        counts = signature.state == Signature.State.PENDING
        if counts:
            signature.state = Signature.State.CONFIRMED
        signature.save(
            update_fields=["state", "confirmed_at", "token_hash", "token_expires_at", "modified_at"]
        )
        if counts:
            CountDelta.objects.create(petition_id=signature.petition_id, delta=1)
            # Only a signature that counts is news to the organisation's systems.
            emit(
                event=Event.SIGNATURE_CONFIRMED,
                organisation_ids=Petition.objects.filter(pk=signature.petition_id).values(
                    "organisation"
                ),
                data=lambda: {
                    "campaign": payloads.campaign(signature.petition),
                    "signature": payloads.signature(signature),
                },
                now=now,
            )
        lift_do_not_contact(signature.email)
    return signature


def unsubscribe_token(signature: Signature) -> str:
    return signed(signature, salt=UNSUBSCRIBE_SALT)


def signature_for_unsubscribe(token: str) -> Signature | None:
    return unsign(Signature.objects.select_related("petition"), token, salt=UNSUBSCRIBE_SALT)


def unsubscribe(signature: Signature) -> None:
    with transaction.atomic():
        withdraw_updates(
            signatures=Signature.objects.filter(pk=signature.pk),
            reports=ActionReport.objects.none(),
            via=ConsentLog.Via.LINK,
        )


def apply_count_deltas(*, limit: int = 10_000) -> int:
    """Add waiting count changes to their petitions; return how many were applied.

    Each delta is applied and deleted in one transaction, so it counts exactly
    once however many workers run this at the same time.
    """
    with transaction.atomic():
        ids = list(
            CountDelta.objects.select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return 0
        totals = (
            CountDelta.objects.filter(id__in=ids)
            .values("petition_id")
            .annotate(total=Sum("delta"))
            .order_by()
        )
        for row in totals:
            Petition.objects.filter(pk=row["petition_id"]).update(
                signature_count=F("signature_count") + row["total"], modified_at=timezone.now()
            )
        CountDelta.objects.filter(id__in=ids).delete()
    return len(ids)


@dataclass
class Correction:
    petition: Petition
    was: int
    now: int


def reconcile() -> list[Correction]:
    """Recount every petition from its confirmed signatures and correct any drift.

    The count, the waiting deltas and the petition row are read in one snapshot
    (REPEATABLE READ on PostgreSQL; SQLite's write lock gives the same), so a
    signer confirming meanwhile is neither lost nor counted twice.
    """
    corrections = []
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        confirmed = dict(
            Signature.objects.confirmed()
            .values("petition_id")
            .annotate(n=Count("id"))
            .values_list("petition_id", "n")
            .order_by()
        )
        waiting = dict(
            CountDelta.objects.values("petition_id")
            .annotate(n=Sum("delta"))
            .values_list("petition_id", "n")
            .order_by()
        )
        for petition in Petition.objects.select_for_update().order_by("id"):
            expected = confirmed.get(petition.pk, 0) - waiting.get(petition.pk, 0)
            if petition.signature_count != expected:
                corrections.append(Correction(petition, petition.signature_count, expected))
                Petition.objects.filter(pk=petition.pk).update(
                    signature_count=expected, modified_at=timezone.now()
                )
    for c in corrections:
        log.warning("reconcile: %s showed %s, corrected to %s", c.petition.slug, c.was, c.now)
    return corrections


def mail_updates(*, batch: int = 500, now=None) -> int:
    """Queue the next batch of update e-mails; return how many were queued.

    Updates that mail nobody are finished on the way, so 0 means nothing waits.
    """
    now = now or timezone.now()
    while True:
        with transaction.atomic():
            update = (
                PetitionUpdate.objects.select_for_update(skip_locked=True)
                .select_related("petition")
                .filter(mailing_done=False, published_at__lte=now)
                .order_by("published_at", "id")
                .first()
            )
            if update is None:
                return 0
            signers = []
            if update.email_signers:
                signers = list(
                    Signature.objects.confirmed()
                    .filter(
                        petition=update.petition, wants_updates=True, pk__gt=update.mailed_up_to
                    )
                    .order_by("pk")[:batch]
                )
            for signature in signers:
                _mail_update(update, signature)
            if signers:
                update.mailed_up_to = signers[-1].pk
            update.mailing_done = len(signers) < batch
            update.save(update_fields=["mailed_up_to", "mailing_done"])
        if signers:
            return len(signers)


def _mail_update(update: PetitionUpdate, signature: Signature) -> None:
    petition = update.petition
    url = localised_url("unsubscribe", signature.language, unsubscribe_token(signature))
    enqueue(
        to=signature.email,
        template="signing/email/update",
        language=signature.language,
        headers={
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        context={
            "name": signature.name,
            "petition_title": petition.title,
            "petition_url": localised_url("petition", signature.language, petition.slug),
            "title": update.title,
            "body": update.body,
            "unsubscribe_url": url,
        },
    )
