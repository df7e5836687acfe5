"""The "my data" link: an expiring token that stands for one e-mail address.

The token is the address encrypted and authenticated with Fernet (AES and
HMAC, keyed from SECRET_KEY), so it tells nothing to a proxy or a log that
sees the URL, cannot be forged, and carries its own time: after
MY_DATA_LINK_DAYS it opens only the offer of a fresh link to the same address.
"""

import base64
import hashlib
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.urls import reverse
from django.utils import translation


def _fernet() -> Fernet:
    key = hashlib.sha256(f"outcry.privacy.my_data:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def token_for(email: str) -> str:
    return _fernet().encrypt(email.strip().encode()).decode()


@dataclass
class Holder:
    email: str
    expired: bool


def holder(token: str) -> Holder | None:
    """Whose link this is (and whether it expired), or None for a made-up token."""
    fernet = _fernet()
    try:
        email = fernet.decrypt(token, ttl=settings.MY_DATA_LINK_DAYS * 86400).decode()
        return Holder(email=email, expired=False)
    except InvalidToken:
        pass
    try:  # authentic but old: good for nothing but a fresh link to the same address
        return Holder(email=fernet.decrypt(token).decode(), expired=True)
    except (InvalidToken, UnicodeDecodeError):
        return None


def url_for(email: str, language: str) -> str:
    with translation.override(language):
        return settings.SITE_URL + reverse("my_data", args=[token_for(email)])
