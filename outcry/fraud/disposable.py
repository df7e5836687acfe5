"""Throwaway e-mail domains (mailinator.com, yopmail.com ...), from the
disposable-email-domains package.

A signature from one is still taken and counted: people use them for privacy
too, and they receive the confirmation e-mail like any other. They only feed
the fraud rules (a burst of them on one petition) and the hourly report.
"""

from disposable_email_domains import allowlist, blocklist


def is_disposable(domain: str) -> bool:
    """Whether `domain`, or a domain it is part of (x.mailinator.com), is a throwaway one."""
    parts = domain.lower().strip(".").split(".")
    for i in range(len(parts) - 1):
        candidate = ".".join(parts[i:])
        if candidate in allowlist:
            return False
        if candidate in blocklist:
            return True
    return False
