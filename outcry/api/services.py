"""Making and revoking API tokens, each audited in the organisation's log."""

from django.db import transaction
from django.utils import timezone

from outcry.api.models import ApiToken
from outcry.campaigns.models import Organisation
from outcry.organiser.services import audit
from outcry.signing.tokens import hash_token, new_token

PREFIX = "outcry_"


def create_token(*, organisation: Organisation, name: str, scope: str, by) -> tuple[ApiToken, str]:
    """A new token and its secret, which is shown once and never stored."""
    # The prefix lets secret scanners and people recognise an Outcry token.
    raw = PREFIX + new_token()[0]
    with transaction.atomic():
        token = ApiToken.objects.create(
            organisation=organisation,
            name=name,
            scope=scope,
            token_hash=hash_token(raw),
            prefix=raw[: len(PREFIX) + 4],
            created_by=by,
        )
        audit(
            organisation=organisation,
            user=by,
            verb="created API token",
            subject=name,
            token=token.pk,
            scope=scope,
        )
    return token, raw


def revoke_token(*, token: ApiToken, by, now=None) -> None:
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = now or timezone.now()
            token.save(update_fields=["revoked_at"])
            audit(
                organisation=token.organisation,
                user=by,
                verb="revoked API token",
                subject=token.name,
                token=token.pk,
            )
