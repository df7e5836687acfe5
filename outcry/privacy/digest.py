"""Keyed digests that let Outcry find a person's records without storing a
readable e-mail address: the same mailbox always gives the same digest, and
no one without the key can go back from a digest to the address.

LOOKUP_KEY must never change once data exists (every digest would stop
matching); the encryption keys rotate, this one does not.
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


def email_digest(email: str) -> str:
    """HMAC-SHA256 of the canonical form of an address, hex: the look-up key for a mailbox."""
    return hmac.new(
        settings.LOOKUP_KEY.encode(), canonical_email(email).encode(), hashlib.sha256
    ).hexdigest()
