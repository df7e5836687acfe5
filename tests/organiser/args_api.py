"""Workspace addresses of API tokens, for the access test."""

from outcry.api.services import create_token


def _token(w):
    token, _secret = create_token(organisation=w["org"], name="CRM", scope="read", by=w["owner"])
    return token.pk


ARGS = {
    "api_tokens": lambda w: {},
    "api_token_revoke": lambda w: {"pk": _token(w)},
}
