"""Keyed digests that let Outcry find a person's records without storing a
readable e-mail address: the same mailbox always gives the same digest, and
no one without the key can go back from a digest to the address.

Personal data itself is encrypted (outcry.privacy.fields), which makes it
unsearchable: every equality look-up (one signature per mailbox, block lists,
fraud rules by domain or IP) goes through one of these digests instead.

LOOKUP_KEY must never change once data exists (every digest would stop
matching); the encryption keys rotate, this one does not. Each kind of digest
is keyed with its own label, so an e-mail digest never equals a domain's.
"""

import hashlib
import hmac

from django.conf import settings

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def canonical_email(email: str) -> str:
    """Fold the spellings of one mailbox together: case, +tags, and Gmail's dots."""
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def canonical_domain(domain: str) -> str:
    """A domain folded as canonical addresses fold it (googlemail = gmail)."""
    return canonical_email("x@" + domain.strip().lstrip("@")).rpartition("@")[2]


def _digest(label: bytes, value: str, key: str | None) -> str:
    key = settings.LOOKUP_KEY if key is None else key
    return hmac.new(key.encode(), label + b"\0" + value.encode(), hashlib.sha256).hexdigest()


# `key` is for tools outside Django (the bench's bulk loader); the app uses LOOKUP_KEY.


def email_digest(email: str, *, key: str | None = None) -> str:
    """HMAC-SHA256 of the canonical form of an address, hex: the look-up key for a mailbox."""
    return _digest(b"email", canonical_email(email), key)


def domain_digest(email_or_domain: str, *, key: str | None = None) -> str:
    """The look-up key for the domain of an address (or of a bare domain).

    The fraud rules count signatures per domain; a digest rather than the domain
    keeps a one-person domain (ana@anaquispe.pe) from naming its owner at rest.
    """
    domain = email_or_domain.rpartition("@")[2] if "@" in email_or_domain else email_or_domain
    return _digest(b"domain", canonical_domain(domain), key)


def ip_digest(ip_hash: str, *, key: str | None = None) -> str:
    """The look-up key for an IP, from its keyed hash (outcry.signing.provenance.ip_hash).

    The IPv4 space is small enough to try whole, so whoever holds SECRET_KEY
    could recover an address from its ip_hash: that value is stored encrypted,
    and the fraud rules group by this second digest, keyed with LOOKUP_KEY.
    It is derived from ip_hash, not the IP, so rows stored before it existed
    get the same digest as new ones.
    """
    return _digest(b"ip", ip_hash, key) if ip_hash else ""
