"""Tokens in the `OSDI-API-Token` header: one organisation's data, read or write."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import AuthorizationError, HttpError
from ninja.security import APIKeyHeader

from outcry.api.models import ApiToken
from outcry.guard.limits import limit
from outcry.signing.tokens import hash_token

# Writing the last-used time on every call would make a busy integrator's token a
# hot row; a minute's precision is all an owner needs to see which tokens are alive.
TOUCH_EVERY = timedelta(minutes=1)


class RateLimited(HttpError):
    def __init__(self, retry_after: int):
        super().__init__(
            429,
            _("Too many writes with this token. Try again in %(s)d seconds.") % {"s": retry_after},
        )
        self.retry_after = retry_after


class Token(APIKeyHeader):
    """Any live token of the organisation; `write=True` also needs the write scope."""

    param_name = "OSDI-API-Token"

    def __init__(self, *, write: bool = False):
        self.write = write
        super().__init__()

    def authenticate(self, request, key):
        if not key:
            return None
        token = (
            ApiToken.objects.live()
            .select_related("organisation")
            .filter(token_hash=hash_token(key))
            .first()
        )
        if token is None:
            return None
        if self.write and not token.can_write():
            raise AuthorizationError(
                403,
                _(
                    "This token may only read. Ask an owner of the "
                    "organisation for a token with write access."
                ),
            )
        now = timezone.now()
        ApiToken.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_EVERY), pk=token.pk
        ).update(last_used_at=now)
        if self.write:
            per, seconds = settings.RATE_LIMITS["api_write"]
            retry_after = limit(f"api_write:{token.pk}", per=per, seconds=seconds)
            if retry_after is not None:
                raise RateLimited(retry_after)
        return token


read = Token()
write = Token(write=True)
