"""Reaching a receiver safely: which addresses Outcry may POST to, and the POST itself.

An organiser types the URL, so without a guard Outcry could be made to probe
its own network (SSRF): the database, a cloud metadata service on
169.254.169.254, an admin page on localhost. Every address the name resolves
to must be public, or inside WEBHOOK_ALLOWED_NETWORKS. The check is made when
the URL is saved (to tell the organiser) and again at each delivery, and the
POST goes to the very address that was checked, so a DNS answer that changes
in between (DNS rebinding) cannot slip a private address through.

Redirects are never followed: a 3xx is an answer like any other non-2xx.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

RESPONSE_KEPT = 500  # characters of a receiver's answer kept in the delivery log


class Refused(Exception):
    """The address may not be used; the message is in the active language."""


def allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if ip.version == 6 and ip.ipv4_mapped:  # ::ffff:127.0.0.1 is 127.0.0.1
        ip = ip.ipv4_mapped
    if any(ip in network for network in settings.WEBHOOK_ALLOWED_NETWORKS):
        return True
    return ip.is_global and not ip.is_multicast


def check(url: str) -> list[str]:
    """The addresses `url` may be reached at, all allowed; Refused otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(_("Enter an address starting with https://."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused(_("The port in this address is not a number from 1 to 65535.")) from None
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused(
            _("No server called %(host)s could be found.") % {"host": parts.hostname}
        ) from None
    ips = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in found))
    refused = [ip for ip in ips if not allowed(ip)]
    if refused:
        raise Refused(
            _(
                "%(host)s is a private, local or reserved address (%(ip)s); webhooks go "
                "only to servers on the public internet."
            )
            % {"host": parts.hostname, "ip": refused[0]}
        )
    if parts.scheme == "http" and not all(
        any(ip in n for n in settings.WEBHOOK_ALLOWED_NETWORKS) for ip in ips
    ):
        # Over plain HTTP anyone on the way could read the events.
        raise Refused(_("Enter an address starting with https://."))
    return [str(ip) for ip in ips]


@dataclass
class Answer:
    status: int
    text: str  # the start of the body, or where a redirect pointed


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url` at its checked address. Raises Refused or a network error."""
    parts = urlsplit(url)
    ip = check(url)[0]
    port = parts.port or (443 if parts.scheme == "https" else 80)
    timeout = urllib3.Timeout(total=settings.WEBHOOK_TIMEOUT_SECONDS)
    if parts.scheme == "https":
        # Connect to the checked address but verify the certificate for the name.
        pool = urllib3.HTTPSConnectionPool(
            ip,
            port,
            timeout=timeout,
            server_hostname=parts.hostname,
            assert_hostname=parts.hostname,
        )
    else:
        pool = urllib3.HTTPConnectionPool(ip, port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={"Host": parts.netloc.rpartition("@")[2], **headers},
            redirect=False,
            retries=False,
            preload_content=False,
        )
        try:
            if 300 <= response.status < 400:
                text = _("Redirected to %(location)s (not followed)") % {
                    "location": response.headers.get("Location", "?")
                }
            else:
                text = response.read(RESPONSE_KEPT * 4).decode("utf-8", "replace")
        finally:
            response.release_conn()
    finally:
        pool.close()
    return Answer(response.status, text[:RESPONSE_KEPT])
