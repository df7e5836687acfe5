"""Two-factor authentication for organisers: an authenticator app (TOTP) and recovery codes.

It is optional per user. Codes are checked against the step before and after
the current one (clocks drift); a code accepted once, and every older one, is
refused afterwards, by one conditional UPDATE, so two requests racing with the
same code cannot both win. Recovery codes are random, single-use and only
their hash is stored. Turning it on or off and using a recovery code are
written to the audit log of every organisation the user belongs to.
"""

import secrets
import time

import pyotp
import segno
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from outcry.campaigns.models import Membership
from outcry.organiser.models import RecoveryCode, TwoFactor
from outcry.organiser.services import audit
from outcry.signing.tokens import hash_token

STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
# Lower-case letters and digits without the look-alikes 0/o and 1/l/i: 32**10 = 2**50.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TOTP, RECOVERY = "totp", "recovery"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(*, secret: str, user) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.get_username(), issuer_name=settings.SITE_NAME
    )


def qr_svg(uri: str, *, title: str) -> str:
    """The QR code of `uri` as inline SVG: drawn here, so the secret goes to no third party."""
    return segno.make(uri, error="m").svg_inline(scale=4, light="#fff", title=title)


def _digits(code: str) -> str:
    return "".join(code.split())


def _matching_step(secret: str, code: str, now: float) -> int | None:
    code = _digits(code)
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp, current = pyotp.TOTP(secret), int(now // STEP_SECONDS)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if constant_time_compare(totp.generate_otp(step), code):
            return step
    return None


def _recovery_hash(code: str) -> str:
    return hash_token("".join(c for c in code.lower() if c.isalnum()))


def _new_recovery_codes(user) -> list[str]:
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)
    ]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=_recovery_hash(code)) for code in codes
    )
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _audit_everywhere(user, verb: str, **detail) -> None:
    """The account is shared by all the user's organisations: each owner sees the change."""
    for membership in Membership.objects.filter(user=user).select_related("organisation"):
        audit(
            organisation=membership.organisation,
            user=user,
            verb=verb,
            subject=user.get_username(),
            **detail,
        )


def is_on(user) -> bool:
    return TwoFactor.objects.filter(user=user).exists()


def enable(*, user, secret: str, code: str, now: float | None = None) -> list[str] | None:
    """Turn it on if `code` comes from `secret`; return the new recovery codes, shown once."""
    step = _matching_step(secret, code, time.time() if now is None else now)
    if step is None:
        return None
    try:
        with transaction.atomic():
            TwoFactor.objects.create(user=user, secret=secret, last_step=step)
            codes = _new_recovery_codes(user)
            _audit_everywhere(user, "turned on two-factor authentication")
    except IntegrityError:  # already on (a second tab): keep the first, show nothing new
        return None
    return codes


def verify(*, user, code: str, now: float | None = None) -> str:
    """TOTP or RECOVERY if `code` lets `user` in (using it up), else ""."""
    now = time.time() if now is None else now
    two_factor = TwoFactor.objects.filter(user=user).first()
    if two_factor is None:
        return ""
    step = _matching_step(two_factor.secret, code, now)
    if step is not None:
        used = TwoFactor.objects.filter(user=user, last_step__lt=step).update(last_step=step)
        return TOTP if used else ""
    with transaction.atomic():
        used = RecoveryCode.objects.filter(
            user=user, code_hash=_recovery_hash(code), used_at__isnull=True
        ).update(used_at=timezone.now())
        if not used:
            return ""
        _audit_everywhere(user, "used a recovery code", left=recovery_codes_left(user))
    return RECOVERY


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def disable(*, user, code: str, now: float | None = None) -> bool:
    """Turn it off, if `code` (from the app, or a recovery code) is right."""
    with transaction.atomic():
        if not verify(user=user, code=code, now=now):
            return False
        TwoFactor.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        _audit_everywhere(user, "turned off two-factor authentication")
    return True


def renew_recovery_codes(*, user, code: str, now: float | None = None) -> list[str] | None:
    """Replace every recovery code with new ones, if `code` is right."""
    with transaction.atomic():
        if not verify(user=user, code=code, now=now):
            return None
        codes = _new_recovery_codes(user)
        _audit_everywhere(user, "renewed two-factor recovery codes")
    return codes
