"""Public campaign pages and the count JSON, kept whole for a few seconds and
served ahead of the middleware stack.

Rendering the petition page costs tens of milliseconds of templates; under a
spike every visitor would pay it for a page that changes a few times a second
at most. Even a copy from the cache cost about 1.5 ms of CPU while every view
still went through the dozen middleware to reach it. So:

- A view renders its page once with *holes* (markers) where one visitor's
  values go, fills them for its own visitor, and marks the response shareable
  when anyone may be shown it (`page()`, `share()`).
- `PageCacheMiddleware`, first in MIDDLEWARE, keeps a shareable response on its
  way out, after every other middleware added its headers (Content-Security-
  Policy, HSTS, X-Frame-Options, Content-Language, Vary, Cache-Control...):
  status, headers and the body with its holes, never a cookie, for
  `PAGE_CACHE_SECONDS` in Django's cache (Redis with `CACHE_URL`, shared by all
  app servers).
- On the way in, before any other middleware, it answers from that copy a
  request that certainly asks for nothing personal (`anonymous()`), filling the
  holes by string replacement:

  - the CSRF token: Django's own, masked afresh for each response, with the
    cookie set by CsrfViewMiddleware's own code (a visitor who has a csrftoken
    cookie keeps its secret);
  - the signed render time of `outcry.guard.bots` (`issue_token()`);
  - the referring host and `utm_source` the sign form carries to the POST.

  None of these depends on the active language, so none is activated. Any
  other request goes through the whole stack as before.

The key (`key()`) is computed from the raw request alone: the scheme (HSTS is
sent over HTTPS only) and the path, which carries the language, plus what else
changes the page: the country the petition form preselects from
Accept-Language, the sample letter asked for on an urgent action, the language
LocaleMiddleware labels the count JSON with. Other query parameters
(utm_source, fbclid...) are not in it. The markers are keyed with SECRET_KEY,
so no organiser text can contain one by chance or on purpose.

Pages with nothing of the visitor's (the lists of campaigns and of signers,
the pages a form sends its sender to, an urgent action's counter in a frame)
have no holes; `public()` also lets any cache on the way keep them, as long as
the count JSON. The sign form in another site's frame has the petition page's
holes but the CSRF token's, as it posts without cookies (outcry.campaigns.embeds).

A logged-in user, a visitor with a message waiting, and every re-shown form
(errors, POSTs) gets a page rendered for them alone and never stored. Edits by
organisers show within the same few seconds: nothing is invalidated, the
time-to-live is short enough (counts must show at most 10 s old, invariant 4).
"""

import functools
import re
from collections.abc import Callable

from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.utils.cache import patch_cache_control
from django.utils.crypto import salted_hmac
from django.utils.html import escape
from django.utils.translation import get_language_from_request

from outcry.api.public import cacheable
from outcry.guard.bots import issue_token
from outcry.signing.models import SIGNERS_MARK
from outcry.signing.provenance import guess_country, referrer_host

# Servers of two versions share the cache during a deploy: change the prefix when
# the shape of a kept copy (PageCacheMiddleware) changes.
PREFIX = "outcry:page"
# What each hole holds for the visitor at hand, escaped for HTML.
VALUES: dict[str, Callable[..., str]] = {
    # get_token also makes CsrfViewMiddleware set the cookie on the response.
    "csrf_token": get_token,
    "started": lambda request: escape(issue_token()),
    "referrer": lambda request: escape(referrer_host(request)),
    "utm_source": lambda request: escape(request.GET.get("utm_source", "")[:100]),
}
HOLES = tuple(VALUES)

# The addresses whose pages are kept (outcry/urls.py); the slug and int converters'.
_LANGUAGE = "|".join(re.escape(code) for code, _name in settings.LANGUAGES)
_SLUG, _CASE = "[-a-zA-Z0-9_]+", "ua-[0-9]+-[0-9]+"
# A sign form, on the page or in another site's frame: the country it preselects varies.
PETITION = re.compile(rf"/(?:{_LANGUAGE})/petitions/{_SLUG}/(?:embed/)?")
CASE = re.compile(rf"/(?:{_LANGUAGE})/actions/{_CASE}/")
COUNT = re.compile(rf"/petitions/{_SLUG}/count\.json")
SIGNERS = re.compile(rf"/(?:{_LANGUAGE})/petitions/{_SLUG}/signatures/")
# Pages with nothing of the visitor's: the lists of campaigns, the pages a signer is
# sent to after a form, the case's counter in a frame. A spike sends every visitor
# through one of them; a page a visitor did not send themselves can be shared.
SAME_FOR_ALL = re.compile(
    rf"/(?:{_LANGUAGE})/(?:archive/|petitions/{_SLUG}/(?:thanks|confirmed|comments/thanks"
    rf"|embed/thanks)/|actions/{_CASE}/embed/)?"
)
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[a-zA-Z0-9]{2,8})?")


def holes() -> dict[str, str]:
    """The markers a page is rendered with instead of one visitor's values."""
    return _holes(settings.SECRET_KEY)


@functools.lru_cache(maxsize=2)
def _holes(secret: str) -> dict[str, str]:
    salt = "outcry.campaigns.pagecache"
    return {
        name: "hole" + salted_hmac(salt, name, secret=secret).hexdigest()[:24] for name in HOLES
    }


def key(request) -> str | None:
    """The name the shared copy of the page `request` asks for is kept under, or None
    for an address whose page is never kept. From the raw request alone."""
    path = request.path_info
    if PETITION.fullmatch(path):
        # The form preselects the visitor's country: one copy per country guessed.
        varies = guess_country(request)
    elif CASE.fullmatch(path):
        # ?letter= picks the sample letter's language; anything else is the default page.
        letter = request.GET.get("letter", "")
        varies = letter if LANGUAGE_CODE.fullmatch(letter) else ""
    elif COUNT.fullmatch(path):
        # The same numbers for all, labelled (Content-Language) as LocaleMiddleware does.
        varies = get_language_from_request(request)
    elif SIGNERS.fullmatch(path):
        # ?before= (or else ?after=) picks the page of names, as the view has it.
        name = "before" if request.GET.get("before") else "after"
        mark = request.GET.get(name, "")
        varies = f"{name}={mark}" if SIGNERS_MARK.fullmatch(mark) else ""
    elif SAME_FOR_ALL.fullmatch(path):
        varies = ""
    else:
        return None
    return f"{PREFIX}:{request.scheme}:{path}:{varies}"


def anonymous(request) -> bool:
    """Whether `request` certainly asks for nothing of one visitor's, as far as the raw
    request tells: a GET with no session cookie (so no user and no message kept in
    the session) and no cookie of the messages' cookie storage; and not one that
    SecurityMiddleware would send to HTTPS."""
    cookies = request.COOKIES
    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in cookies
        and CookieStorage.cookie_name not in cookies
        and (not settings.SECURE_SSL_REDIRECT or request.is_secure())
    )


def personal(request) -> bool:
    """Whether this visitor's page may hold something of theirs beyond the holes.

    Free for a first-time visitor: without a session cookie neither the user
    nor the messages are looked up in the database."""
    return (
        request.method != "GET" or request.user.is_authenticated or len(get_messages(request)) > 0
    )


# A body with holes, cut at them once so each visitor's copy is one join:
# (the pieces between the holes, the name of each hole in turn).
Pieces = tuple[tuple[bytes, ...], tuple[str, ...]]


def cut(body: bytes) -> Pieces:
    by_mark = {mark.encode(): name for name, mark in holes().items()}
    parts = re.split(b"(" + b"|".join(map(re.escape, by_mark)) + b")", body)
    return tuple(parts[::2]), tuple(by_mark[mark] for mark in parts[1::2])


def fill(pieces: Pieces, request, charset: str) -> bytes:
    """The body with its holes filled with this visitor's values."""
    between, names = pieces
    values = {name: VALUES[name](request).encode(charset) for name in dict.fromkeys(names)}
    filled = [between[0]]
    for name, after in zip(names, between[1:], strict=True):
        filled += (values[name], after)
    return b"".join(filled)


def page(request, render: Callable[[dict[str, str]], HttpResponse]) -> HttpResponse:
    """The page `render(holes)` makes with the holes filled for this visitor;
    shareable unless it may hold something of theirs."""
    response = render(holes())
    if response.streaming:
        return response
    pieces = cut(response.content)
    if not personal(request):
        share(request, response, pieces)
    response.content = fill(pieces, request, response.charset)
    # It carries this visitor's CSRF token: no shared cache may keep it.
    patch_cache_control(response, private=True, no_store=True)
    return response


def public(request, response: HttpResponse) -> HttpResponse:
    """`response`, a page with nothing of its visitor's, shared with every visitor who
    is not logged in: kept here, and by any cache on the way (a CDN, the browser)
    as long as the count JSON is. A logged-in organiser's page (which may show
    their menu) or a page with their message is theirs alone."""
    if not personal(request):
        cacheable(response)
        share(request, response)
    return response


def share(request, response, pieces: Pieces | None = None):
    """Mark `response` for PageCacheMiddleware to keep for every request with the same
    key: `pieces` is its content with the holes still open (none by default)."""
    if settings.PAGE_CACHE_SECONDS > 0 and response.status_code == 200:
        name = key(request)
        if name is not None:
            response.pagecache = (name, pieces or ((response.content,), ()))
    return response


class PageCacheMiddleware:
    """Answer from a kept copy before the other middleware run; keep a shareable
    response after they all ran. First in MIDDLEWARE."""

    def __init__(self, get_response):
        self.get_response = get_response
        # Django's own reading and setting of the CSRF cookie, for the copies served here.
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request):
        name = None
        if settings.PAGE_CACHE_SECONDS > 0 and anonymous(request):
            name = key(request)
            kept = cache.get(name) if name is not None else None
            if kept is not None:
                return self.replay(request, *kept)
        response = self.get_response(request)
        shared = getattr(response, "pagecache", None)
        if name is not None and shared is not None and shared[0] == name:
            # Cookies are not among the headers. Content-Length is the filled page's.
            headers = [(h, v) for h, v in response.items() if h.lower() != "content-length"]
            kept = (response.status_code, headers, shared[1])
            cache.set(name, kept, settings.PAGE_CACHE_SECONDS)
        return response

    def replay(self, request, status, headers, pieces: Pieces) -> HttpResponse:
        request.get_host()  # a Host not in ALLOWED_HOSTS is refused, as in the stack
        response = HttpResponse(status=status, headers=headers)
        if "csrf_token" in pieces[1]:
            self.csrf.process_request(request)  # the secret of the visitor's cookie, if good
        response.content = fill(pieces, request, response.charset)
        response["Content-Length"] = str(len(response.content))  # as CommonMiddleware does
        return self.csrf.process_response(request, response)
