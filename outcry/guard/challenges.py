"""Proof-of-work robot check (ALTCHA): challenges per campaign, verified once each.

The browser's widget fetches a challenge for the campaign whose form it sits in,
searches for the number it hides and sends the solution with the form. Robots
that post forms in bulk pay that search for every post; a person waits about a
second while reading the form. Nothing leaves this site: the challenge, the widget
and the check are all ours.

A challenge is *deterministic* (the `altcha` package's `counter` mode): the server
picks the number, below the campaign's work factor, and signs the key it yields,
so verifying costs one HMAC and the expected search is half the work factor.
It names its campaign in its signed data, expires after ALTCHA_EXPIRY_SECONDS,
and is spent by the first form that uses it: the second use is refused.
"""

import hashlib
import logging
import secrets
import time

import altcha
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from outcry.guard.limits import limit
from outcry.guard.models import SpentChallenge

log = logging.getLogger(__name__)

# SHA-256 rounds per number tried. The work factor is the count of numbers; one round
# keeps each try cheap, so the factor says directly how many hashes a browser makes.
ALGORITHM = "SHA-256"
COST = 1


def campaign_key(campaign) -> str:
    """What a challenge names to say which campaign it is for: "petition:12", "action:3"."""
    from outcry.campaigns.models import Petition

    kind = "petition" if isinstance(campaign, Petition) else "action"
    return f"{kind}:{campaign.pk}"


def _key_secret() -> str:
    # The key that signs the derived key (the fast check) differs from the one that
    # signs the challenge, as the altcha package recommends.
    return hashlib.sha256(f"key:{settings.ALTCHA_HMAC_KEY}".encode()).hexdigest()


def max_number(campaign) -> int:
    """The campaign's work factor for one more challenge: its own, multiplied while
    more than ALTCHA_SURGE_PER_MINUTE challenges a minute go out for it (counted
    atomically by guard.limits, so every app server sees the same surge)."""
    number = campaign.altcha_max_number
    demand = f"altcha-demand:{campaign_key(campaign)}"
    if limit(demand, per=settings.ALTCHA_SURGE_PER_MINUTE, seconds=60) is not None:
        number *= settings.ALTCHA_SURGE_FACTOR
    return number


def issue(campaign) -> dict:
    """A fresh signed challenge for `campaign`, as the widget reads it (JSON)."""
    top = max_number(campaign)
    challenge = altcha.create_challenge(
        ALGORITHM,
        COST,
        counter=secrets.randbelow(top + 1),
        expires_at=int(time.time()) + settings.ALTCHA_EXPIRY_SECONDS,
        data={"campaign": campaign_key(campaign), "max": top},
        hmac_secret=settings.ALTCHA_HMAC_KEY,
        hmac_key_secret=_key_secret(),
    )
    return challenge.to_dict()


def verdict(payload: str, campaign, *, spend_now: bool = True) -> tuple[str, dict]:
    """Why the solution `payload` (the widget's form field) is refused, or "" if it is
    good; and what `spend()` takes to spend it.

    A good solution is spent here, unless `spend_now` is false: then the caller
    spends it, in the transaction that writes what the form sends.
    """
    if not payload:
        return "missing", {}
    try:
        parsed = altcha.Payload.from_base64(payload)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return "malformed", {}
    result = altcha.verify_solution(parsed, settings.ALTCHA_HMAC_KEY, hmac_key_secret=_key_secret())
    if result.expired:
        return "expired", {}
    if not result.verified:
        return "invalid", {}
    parameters = parsed.challenge.parameters
    if (parameters.data or {}).get("campaign") != campaign_key(campaign):
        return "other campaign", {}
    used = {"signature": parsed.challenge.signature, "expires_at": int(parameters.expires_at or 0)}
    if spend_now and not spend(**used):
        return "replayed", {}
    return "", used


def spend(signature: str, *, expires_at: int) -> bool:
    """Record that the challenge signed `signature` was used; False if it already was."""
    keep = max(1, expires_at - int(time.time()))
    if settings.CACHE_URL:
        # Redis SET NX: of two posts with one solution, exactly one adds the key.
        return cache.add(f"outcry:altcha-spent:{signature}", 1, timeout=keep + 60)
    # One statement that adds nothing if the signature is there: no savepoint is
    # needed inside the caller's transaction (the sign form's), as a failing INSERT
    # would need on PostgreSQL.
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(SpentChallenge._meta.db_table)} ({q('signature')}, {q('expires_at')}) "  # noqa: S608 (names only)
            f"VALUES (%s, %s) ON CONFLICT ({q('signature')}) DO NOTHING",
            [signature, expires_at],
        )
        return cursor.rowcount == 1


def forget_spent(now: float | None = None) -> int:
    """Delete spent challenges that have expired anyway; return how many."""
    deleted, _ = SpentChallenge.objects.filter(expires_at__lt=now or time.time()).delete()
    return deleted
