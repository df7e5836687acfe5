"""Where a signature came from, kept only as much as fraud defence and the
dashboard need: a keyed hash of the IP, the referring host, the utm_source; and
the country a visitor's browser suggests, which the forms preselect."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.crypto import salted_hmac


def client_ip(request) -> str:
    if settings.TRUST_X_FORWARDED_FOR:
        # The load balancer appends the address it saw; earlier entries are the client's word.
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def ip_hash(ip: str) -> str:
    """The keyed hash the per-IP limits, fraud rules and reports count a visitor by."""
    return (
        salted_hmac("outcry.signing.ip", visitor(ip), algorithm="sha256").hexdigest() if ip else ""
    )


def visitor(ip: str) -> str:
    """An IPv4 address, or the /64 network an IPv6 address is in.

    One IPv6 subscriber (a home line, a phone, a rented server) is given a whole
    /64 and may send each request from a new address in it: counted by address,
    each request would be a new visitor to every per-IP limit and rule. An IPv4
    address written as IPv6 (::ffff:192.0.2.1) is the IPv4 address.
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def referrer_host(request) -> str:
    """The host of an outside page that sent the visitor here; never our own, never a path."""
    host = (urlsplit(request.META.get("HTTP_REFERER", "")).hostname or "")[:200]
    return "" if not host or host == request.get_host().split(":")[0] else host


def guess_country(request) -> str:
    """The region of the visitor's first Accept-Language entry that names one (es-PE → PE)."""
    for part in request.META.get("HTTP_ACCEPT_LANGUAGE", "").split(","):
        tag = part.split(";", 1)[0].strip().replace("_", "-")
        pieces = tag.split("-")
        if len(pieces) > 1 and len(pieces[-1]) == 2 and pieces[-1].isalpha():
            return pieces[-1].upper()
    return ""
