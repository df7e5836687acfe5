"""A clear "try again" page when the database is locked, away or dropped mid-request.

Every write goes through a service's transaction, so a request that fails on
the database leaves nothing half-written (invariant 2): the visitor may simply
send the same form again. The page is rendered without the site's context
processors and without any query, because the database is the thing that failed.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language

log = logging.getLogger(__name__)

# Seconds a client (or a load balancer) should wait before sending the request again:
# long enough for a lock to clear or a connection pool to reconnect.
RETRY_AFTER = 5


class DatabaseUnavailableMiddleware:
    """Turn a database that cannot answer into a 503 with Retry-After, not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        # OperationalError: locked, timed out, connection refused or cut (also
        # serialisation failures); InterfaceError: a connection already closed.
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        log.error(
            "database unavailable during %s %s: answered 503",
            request.method,
            request.path,
            exc_info=exception,
        )
        # No request here: the layout's context processors may read the session.
        body = render_to_string(
            "503.html", {"language": get_language(), "stylesheet": stylesheet()}
        )
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        add_never_cache_headers(response)
        return response


def stylesheet() -> str:
    """The site's stylesheet, or none: a missing static manifest must not turn a 503 into a 500."""
    try:
        return static("outcry/outcry.css")
    except ValueError:
        return ""
