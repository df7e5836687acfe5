"""The sites allowed to frame a campaign's embed: a list of web origins.

Each entry becomes a source in the embed's `Content-Security-Policy:
frame-ancestors`, so only what that directive reads as an origin is accepted
(`https://example.org`, `https://*.example.org`, `http://localhost:8080`): no
path, no query, no quotes or keywords that would change the policy's meaning.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_ORIGINS = 20
# A host name (optionally `*.` for any subdomain) or an IPv4 address, then an optional port.
_ORIGIN = re.compile(
    r"^(?P<scheme>https?)://"
    r"(?P<host>(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)"
    r"(?P<port>:\d{1,5})?$"
)


def normalise_origin(text: str) -> str:
    """`text` as a frame-ancestors source, or a ValidationError that says what to fix."""
    value = text.strip().lower().rstrip("/")
    match = _ORIGIN.match(value)
    if not match or (match["port"] and not 0 < int(match["port"][1:]) < 65536):
        raise ValidationError(
            _(
                "“%(value)s” is not a site address. Write it as https://example.org: the "
                "scheme and the host name (and a port if it has one), without a path."
            ),
            params={"value": text.strip()},
            code="invalid_origin",
        )
    default_port = {"http": ":80", "https": ":443"}[match["scheme"]]
    return value.removesuffix(default_port) if match["port"] == default_port else value


def validate_origins(value) -> None:
    """Model-level check, so the admin and any other writer store only valid origins."""
    if not isinstance(value, list):
        raise ValidationError(_("Expected a list of site addresses."), code="invalid")
    if len(value) > MAX_ORIGINS:
        raise ValidationError(
            _("Please list at most %(max)d sites."), params={"max": MAX_ORIGINS}, code="too_many"
        )
    for origin in value:
        if not isinstance(origin, str) or normalise_origin(origin) != origin:
            raise ValidationError(
                _("“%(value)s” is not a site address."), params={"value": origin}, code="invalid"
            )


class OriginsField(forms.Field):
    """One origin per line in a text box; cleaned to a sorted list without duplicates."""

    widget = forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"})

    def __init__(self, *, encoder=None, decoder=None, **kwargs):
        # A model JSONField hands its form field these two; a list of strings needs neither.
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        lines = [line for line in (value or "").splitlines() if line.strip()]
        errors, origins = [], set()
        for line in lines:
            try:
                origins.add(normalise_origin(line))
            except ValidationError as e:
                errors.append(e)
        if errors:
            raise ValidationError(errors)
        if len(origins) > MAX_ORIGINS:
            raise ValidationError(
                _("Please list at most %(max)d sites."),
                params={"max": MAX_ORIGINS},
                code="too_many",
            )
        return sorted(origins)
