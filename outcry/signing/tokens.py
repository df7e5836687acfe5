"""The two kinds of token in Outcry's e-mails.

A *random* token (confirming a signature or letters, accepting an invitation)
is single-use and expiring: only its hash is stored, and using it clears it.
A *signed* token (unsubscribing, amending a report, a letter's status page)
names a row and is checked with SECRET_KEY; it is harmless to use twice.
"""

import hashlib
import secrets

from django.core import signing


def new_token() -> tuple[str, str]:
    """A random single-use token and the digest we store in its place."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def hash_token(raw: str) -> str:
    # The token is 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(raw.encode()).hexdigest()


def signed(obj, *, salt: str) -> str:
    return signing.dumps(obj.pk, salt=salt)


def unsign(queryset, token: str, *, salt: str):
    """The row a signed token names, or None for a bad or stale token."""
    try:
        pk = signing.loads(token, salt=salt)
    except signing.BadSignature:
        return None
    return queryset.filter(pk=pk).first()
