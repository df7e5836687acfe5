"""Fraud defence workflows: the hourly report, block/allow lists, bulk invalidation."""

import re
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from outcry.campaigns.models import Organisation, Petition
from outcry.fraud.disposable import is_disposable
from outcry.fraud.models import Invalidation, ListEntry
from outcry.fraud.rules import forget_ip_ranges
from outcry.organiser.services import audit
from outcry.privacy.digest import canonical_email, domain_digest
from outcry.signing.models import CountDelta, Signature

# A key with this many times the petition's median count in the hour is unusual.
MEDIAN_FACTOR = 5
MEDIAN_MINIMUM = 3
# CountDelta.delta is a small integer: a large invalidation writes several rows.
DELTA_CHUNK = 30_000
SHORT_HASH = 12
# Signatures an invalidation can take: the others are already set aside.
COUNTABLE = [Signature.State.PENDING, Signature.State.CONFIRMED]


# The hourly report ---------------------------------------------------------


@dataclass
class Volume:
    key: str
    n: int
    set_aside: int  # already fraudulent or invalidated
    disposable: bool = False  # a throwaway e-mail domain (domains only)


@dataclass
class PetitionHour:
    petition: Petition
    total: int = 0
    ips: list[Volume] = field(default_factory=list)
    domains: list[Volume] = field(default_factory=list)
    # Signatures from throwaway domains, all together, when there are unusually many.
    disposable: Volume | None = None


def unusual(rows: list[Volume]) -> list[Volume]:
    if not rows:
        return []
    median = statistics.median(r.n for r in rows)
    threshold = settings.FRAUD_REPORT_THRESHOLD
    bar = min(threshold, max(MEDIAN_MINIMUM, MEDIAN_FACTOR * median))
    return sorted((r for r in rows if r.n >= bar), key=lambda r: (-r.n, r.key))


def hourly_report(*, organisation: Organisation, now=None) -> list[PetitionHour]:
    """Each petition's last hour: the IP hashes and e-mail domains with unusual volume.

    Unusual means at least FRAUD_REPORT_THRESHOLD signatures, or five times the
    petition's median per IP (or per domain) in that hour, and at least three.

    Signatures are grouped by their keyed digests (the address and the IP hash
    are encrypted); an IP is shown as the start of its digest, and an unusual
    domain by name, read from one of its signatures' decrypted address: the
    organiser needs the name to judge it and to block it. Signatures from
    throwaway domains are also counted together, and shown from
    FRAUD_REPORT_THRESHOLD or FRAUD_DISPOSABLE_SIGNATURES_PER_HOUR, the lower.
    """
    now = now or timezone.now()
    recent = Signature.objects.filter(
        petition__organisation=organisation, created_at__gt=now - timedelta(hours=1)
    )
    counted = {"n": Count("id"), "set_aside": Count("id", filter=~Q(state__in=COUNTABLE))}
    by_ip = (
        recent.exclude(ip_digest="")
        .values("petition_id", "ip_digest")
        .annotate(**counted)
        .order_by()
    )
    by_domain = (
        recent.values("petition_id", "domain_digest")
        .annotate(**counted, sample=Min("id"))
        .order_by()
    )
    by_disposable = (
        recent.filter(disposable_domain=True).values("petition_id").annotate(**counted).order_by()
    )
    ips, domains, totals, samples = {}, {}, {}, {}
    for row in by_ip:
        ips.setdefault(row["petition_id"], []).append(
            Volume(row["ip_digest"], row["n"], row["set_aside"])
        )
    for row in by_domain:
        domains.setdefault(row["petition_id"], []).append(
            Volume(row["domain_digest"], row["n"], row["set_aside"])
        )
        samples[row["domain_digest"]] = row["sample"]
        totals[row["petition_id"]] = totals.get(row["petition_id"], 0) + row["n"]
    unusual_domains = {pk: unusual(rows) for pk, rows in domains.items()}
    shown = [samples[v.key] for rows in unusual_domains.values() for v in rows]
    names = {
        digest: canonical_email(email).rpartition("@")[2]
        for digest, email in Signature.objects.filter(id__in=shown).values_list(
            "domain_digest", "email"
        )
    }
    for rows in unusual_domains.values():
        for v in rows:
            v.key = names[v.key]
            v.disposable = is_disposable(v.key)
        rows.sort(key=lambda r: (-r.n, r.key))
    bar = min(settings.FRAUD_REPORT_THRESHOLD, settings.FRAUD_DISPOSABLE_SIGNATURES_PER_HOUR)
    disposable = {
        row["petition_id"]: Volume("", row["n"], row["set_aside"], disposable=True)
        for row in by_disposable
        if row["n"] >= bar
    }
    petitions = Petition.objects.filter(pk__in=totals).order_by("-published_at", "pk")
    return [
        PetitionHour(
            petition=p,
            total=totals[p.pk],
            ips=unusual(ips.get(p.pk, [])),
            domains=unusual_domains.get(p.pk, []),
            disposable=disposable.get(p.pk),
        )
        for p in petitions
    ]


# Block and allow lists -------------------------------------------------------


def masked(entry: ListEntry) -> str:
    """What the audit log keeps of an entry: an address only as its first letter and domain."""
    if not entry.address:
        return entry.value
    local, _, domain = entry.address.rpartition("@")
    return f"{local[:1]}…@{domain}"


def add_entry(
    *, organisation, by, kind: str, value: str, allow: bool, note: str = "", address: str = ""
):
    with transaction.atomic():
        entry = ListEntry.objects.create(
            organisation=organisation,
            kind=kind,
            value=value,
            address=address,
            allow=allow,
            note=note,
            created_by=by,
        )
        if kind == ListEntry.Kind.IP_RANGE:
            transaction.on_commit(lambda: forget_ip_ranges(organisation.pk))
        audit(
            organisation=organisation,
            user=by,
            verb="allow-listed" if allow else "block-listed",
            subject=masked(entry),
            kind=kind,
            note=note,
        )
    return entry


def remove_entry(*, entry: ListEntry, by) -> None:
    with transaction.atomic():
        entry.delete()
        if entry.kind == ListEntry.Kind.IP_RANGE:
            transaction.on_commit(lambda: forget_ip_ranges(entry.organisation_id))
        audit(
            organisation=entry.organisation,
            user=by,
            verb="removed from allow list" if entry.allow else "removed from block list",
            subject=masked(entry),
            kind=entry.kind,
        )


# Bulk invalidation -----------------------------------------------------------


def glob_regex(pattern: str) -> str:
    """A name pattern with * wildcards as an anchored regular expression."""
    return "^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$"


def matching(*, organisation: Organisation, conditions: dict):
    """The pending and confirmed signatures the conditions hit, in this organisation only.

    Conditions: petition (id), domain, ip_hash (a prefix of at least 12 hex
    digits of the IP's digest, as the report shows it), since/until (ISO
    times), country, name_pattern (* for any text, case ignored), and
    disposable (only addresses at throwaway domains). IP ranges cannot be
    matched: only a keyed hash of each IP is stored.

    Names are encrypted, so a name pattern is matched here, on the rows the
    other conditions leave, and the result is a query by their ids.
    """
    petitions = Petition.objects.filter(organisation=organisation)
    if conditions.get("petition"):
        petitions = petitions.filter(pk=conditions["petition"])
    # The petitions are resolved first so the UPDATE touches the signature table alone.
    qs = Signature.objects.filter(
        petition_id__in=list(petitions.values_list("pk", flat=True)), state__in=COUNTABLE
    )
    if conditions.get("domain"):
        qs = qs.filter(domain_digest=domain_digest(conditions["domain"]))
    if conditions.get("ip_hash"):
        qs = qs.filter(ip_digest__startswith=conditions["ip_hash"].lower())
    if conditions.get("since"):
        qs = qs.filter(created_at__gte=datetime.fromisoformat(conditions["since"]))
    if conditions.get("until"):
        qs = qs.filter(created_at__lt=datetime.fromisoformat(conditions["until"]))
    if conditions.get("country"):
        qs = qs.filter(country=conditions["country"])
    if conditions.get("disposable"):
        qs = qs.filter(disposable_domain=True)
    if conditions.get("name_pattern"):
        pattern = re.compile(glob_regex(conditions["name_pattern"]), re.IGNORECASE)
        ids = [
            pk
            for pk, name in qs.values_list("pk", "name").iterator(chunk_size=2000)
            if pattern.match(name)
        ]
        qs = Signature.objects.filter(pk__in=ids)
    return qs


def preview(*, organisation: Organisation, conditions: dict) -> int:
    return matching(organisation=organisation, conditions=conditions).count()


def _count_deltas(rows, sign: int) -> None:
    deltas = []
    for row in rows:
        left = row["n"]
        while left:
            step = min(left, DELTA_CHUNK)
            deltas.append(CountDelta(petition_id=row["petition_id"], delta=sign * step))
            left -= step
    CountDelta.objects.bulk_create(deltas)


def _confirmed_by_petition(qs):
    return qs.filter(confirmed_at__isnull=False).values("petition_id").annotate(n=Count("id"))


def invalidate(*, organisation, conditions: dict, reason: str, by, now=None) -> Invalidation:
    """Invalidate every signature the conditions hit, in one transaction, with audit.

    Counts follow through the ledger: one -1 for each signature that was
    confirmed. The UPDATE locks the rows it changes, so a signer confirming
    meanwhile either counted first (and is taken back here) or finds the
    signature invalidated and adds nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        invalidation = Invalidation.objects.create(
            organisation=organisation,
            conditions=conditions,
            reason=reason,
            created_by=by,
            created_at=now,
        )
        invalidation.count = matching(organisation=organisation, conditions=conditions).update(
            state=Signature.State.INVALIDATED, invalidation=invalidation, modified_at=now
        )
        invalidation.save(update_fields=["count"])
        # Of the rows just changed, those with a confirmation time were confirmed.
        _count_deltas(_confirmed_by_petition(invalidation.signatures.all()), -1)
        audit(
            organisation=organisation,
            user=by,
            verb="invalidated signatures",
            subject=reason,
            invalidation=invalidation.pk,
            count=invalidation.count,
            conditions=conditions,
        )
    return invalidation


def undo(*, invalidation: Invalidation, by, now=None) -> int:
    """Restore what an invalidation took: confirmed if the signer confirmed, else pending."""
    now = now or timezone.now()
    with transaction.atomic():
        invalidation = Invalidation.objects.select_for_update().get(pk=invalidation.pk)
        if invalidation.undone_at is not None:
            return 0
        rows = Signature.objects.filter(
            invalidation=invalidation, state=Signature.State.INVALIDATED
        )
        # Lock first: a signer confirming now waits, so the +1s below stay exact.
        list(rows.select_for_update().values_list("id", flat=True))
        _count_deltas(_confirmed_by_petition(rows), +1)
        restored = rows.filter(confirmed_at__isnull=False).update(
            state=Signature.State.CONFIRMED, invalidation=None, modified_at=now
        )
        restored += rows.filter(confirmed_at__isnull=True).update(
            state=Signature.State.PENDING, invalidation=None, modified_at=now
        )
        invalidation.undone_by, invalidation.undone_at = by, now
        invalidation.save(update_fields=["undone_by", "undone_at"])
        audit(
            organisation=invalidation.organisation,
            user=by,
            verb="undid invalidation",
            subject=invalidation.reason,
            invalidation=invalidation.pk,
            count=restored,
        )
    return restored
