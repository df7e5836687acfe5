"""Public campaign pages and the count JSON, kept rendered for a few seconds.

Rendering the petition page costs tens of milliseconds of templates; under a
spike every visitor would pay it for a page that changes a few times a second
at most. So a page is rendered once with *holes* (markers) where the values of
one visitor go, stored for `PAGE_CACHE_SECONDS` in Django's cache (Redis with
`CACHE_URL`, shared by all app servers), and every GET fills the holes by
string replacement:

- the CSRF token: Django's own, masked afresh for each response, and its cookie;
- the signed render time of `outcry.guard.bots` (`issue_token()`);
- the referring host and `utm_source` the sign form carries to the POST.

What else changes the page is part of the key: the campaign, the language and
the country the form preselects from Accept-Language, and the sample letter
asked for on an urgent action. The markers are keyed with
SECRET_KEY, so no organiser text can contain one by chance or on purpose.

A visitor with a message waiting or a logged-in user, and every re-shown form
(errors, POSTs), gets a page rendered for them alone and never stored. Edits by
organisers show within the same few seconds: nothing is invalidated, the
time-to-live is short enough (counts must show at most 10 s old, invariant 4).
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_cache_control
from django.utils.crypto import salted_hmac
from django.utils.html import escape
from django.utils.translation import get_language

from outcry.guard.bots import issue_token
from outcry.signing.provenance import referrer_host

HOLES = ("csrf_token", "started", "referrer", "utm_source")
PREFIX = "outcry:page"


def holes() -> dict[str, str]:
    """The markers a page is rendered with instead of one visitor's values."""
    return {
        name: "hole" + salted_hmac("outcry.campaigns.pagecache", name).hexdigest()[:24]
        for name in HOLES
    }


def visitor_values(request) -> dict[str, str]:
    """What this visitor's copy of a page carries in the holes, escaped for HTML."""
    return {
        # get_token also makes CsrfViewMiddleware set the cookie on the response.
        "csrf_token": get_token(request),
        "started": escape(issue_token()),
        "referrer": escape(referrer_host(request)),
        "utm_source": escape(request.GET.get("utm_source", "")[:100]),
    }


def personal(request) -> bool:
    """Whether this visitor's page may hold something of theirs beyond the holes.

    Free for a first-time visitor: without a session cookie neither the user
    nor the messages are looked up in the database."""
    return (
        request.method != "GET" or request.user.is_authenticated or len(get_messages(request)) > 0
    )


def page(request, key: tuple, render: Callable[[dict[str, str]], HttpResponse]) -> HttpResponse:
    """The page `render(holes)` makes, from the cache when it may be shared, with the
    holes filled for this visitor. `key` names what else changes the page."""
    marks = holes()
    seconds = settings.PAGE_CACHE_SECONDS
    shared = seconds > 0 and not personal(request)
    name = ":".join((PREFIX, *map(str, key), get_language()))
    stored = cache.get(name) if shared else None
    if stored is None:
        response = render(marks)
        if response.streaming:
            return response
        content = response.content.decode(response.charset)
        stored = (content, response["Content-Type"], response.status_code)
        if shared and response.status_code == 200:
            cache.set(name, stored, seconds)
    content, content_type, status = stored
    for hole, value in visitor_values(request).items():
        content = content.replace(marks[hole], value)
    response = HttpResponse(content, content_type=content_type, status=status)
    # It carries this visitor's CSRF token: no shared cache may keep it.
    patch_cache_control(response, private=True, no_store=True)
    return response


def value(key: tuple, compute: Callable[[], object]):
    """`compute()`, kept for PAGE_CACHE_SECONDS under `key`: for what is the same for
    everyone, such as the count JSON."""
    seconds = settings.PAGE_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    name = ":".join((PREFIX, *map(str, key)))
    found = cache.get(name)
    if found is None:
        found = compute()
        cache.set(name, found, seconds)
    return found
