"""Form data as a person sends it, for tests that post the guarded forms directly."""

import time

import altcha
import time_machine

from outcry.guard import challenges
from outcry.guard.bots import ROBOT_CHECK, STARTED, issue_token


def token_from(seconds_ago: float) -> str:
    """A render-time token as if the form had been shown `seconds_ago`."""
    with time_machine.travel(time.time() - seconds_ago, tick=False):
        return issue_token()


def solve(challenge: dict) -> str:
    """The robot-check field a browser's widget sends for the challenge JSON `challenge`."""
    challenge = altcha.Challenge.from_dict(challenge)
    solution = altcha.solve_challenge(challenge, timeout=60)
    assert solution is not None, "the challenge could not be solved"
    return altcha.Payload(challenge, solution).to_base64()


def solution_for(campaign) -> str:
    """A solved robot check for `campaign`'s forms, as the widget would send it."""
    return solve(challenges.issue(campaign))


def human(data: dict | None = None, *, campaign=None, **fields) -> dict:
    """`data` plus what a browser sends: an empty honeypot, a form shown a minute ago
    and, for a campaign's forms (`campaign=`), a solved robot check."""
    sent = {**(data or {}), **fields, "website": "", STARTED: token_from(60)}
    if campaign is not None:
        sent[ROBOT_CHECK] = solution_for(campaign)
    return sent
