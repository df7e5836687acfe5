"""Form data as a person sends it, for tests that post the guarded forms directly."""

import time

import time_machine

from outcry.guard.bots import STARTED, issue_token


def token_from(seconds_ago: float) -> str:
    """A render-time token as if the form had been shown `seconds_ago`."""
    with time_machine.travel(time.time() - seconds_ago, tick=False):
        return issue_token()


def human(data: dict | None = None, **fields) -> dict:
    """`data` plus what a browser sends: an empty honeypot and a form shown a minute ago."""
    return {**(data or {}), **fields, "website": "", STARTED: token_from(60)}
