"""Browser-test harness: Debian's system Chromium driven by Playwright, plus axe-core.

Never downloads a browser (no ``playwright install``): Chromium comes from
``apt-get install chromium`` and lives at /usr/bin/chromium (override with the
``CHROMIUM`` environment variable). All fixtures are opt-in; mark browser test
modules with ``pytestmark = pytest.mark.browser``.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

# Playwright's sync API runs an asyncio event loop in this thread, which makes
# Django's async-safety check refuse ORM calls made from the test itself.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_PATH = os.environ.get("CHROMIUM", "/usr/bin/chromium")

# As root Chromium needs --no-sandbox; without the background-networking flags
# its own connections (updates, sync, QUIC probes) get refused here and slow it down.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

PHONE_VIEWPORT = {"width": 390, "height": 844}
DEFAULT_LOCALE = "en-GB"

AXE_PATH = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest):
    """pytest-django's live server, with /static/ served by the app's own WhiteNoise.

    pytest-django wraps the server in staticfiles' StaticFilesHandler, which looks
    files up through the finders and so answers 404 for the hashed names that the
    manifest storage (the production one) writes into pages: every page would be
    tested unstyled, and axe's colour-contrast rule would judge the wrong colours.
    Passing /static/ through to the app lets WhiteNoise serve the collected files,
    as it does in production.
    """
    from pytest_django.live_server_helper import LiveServer

    addr = (
        request.config.getvalue("liveserver")
        or os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(addr, start=False)
    server.thread.static_handler = _app_serves_static
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _app_serves_static(application):
    return application


@pytest.fixture(autouse=True)
def _pages_not_cached(settings):
    """Journeys check each step's effect on the next page at once (a count, an approved
    comment), where a visitor would see it once PAGE_CACHE_SECONDS have passed. The
    page cache has its own tests (tests/campaigns/test_pagecache.py)."""
    settings.PAGE_CACHE_SECONDS = 0


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless system Chromium for the whole session."""
    if not (os.path.isfile(CHROMIUM_PATH) and os.access(CHROMIUM_PATH, os.X_OK)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM_PATH!r}. Browser tests need Debian's "
            "Chromium: run `apt-get install chromium` (or point the CHROMIUM environment "
            "variable at a Chromium binary). Do not run `playwright install`.",
            pytrace=False,
        )
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH,
            headless=True,
            args=CHROMIUM_ARGS,
        )
    except BaseException:
        playwright.stop()
        raise
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()


def _new_context(browser: Browser, locale: str, violations: list[str]) -> BrowserContext:
    context = browser.new_context(viewport=PHONE_VIEWPORT, locale=locale)
    # Chromium reports every Content-Security-Policy violation on the console; a page
    # that trips the policy is broken for real visitors, so the test fails at teardown.
    context.on(
        "console",
        lambda message: (
            violations.append(f"{message.page.url if message.page else '?'}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return context


def _fail_on_csp_violations(violations: list[str]) -> None:
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations), pytrace=False)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh phone-sized, British-English page; its context is closed afterwards.

    Any Content-Security-Policy violation on it fails the test.
    """
    violations: list[str] = []
    context = _new_context(browser, DEFAULT_LOCALE, violations)
    try:
        yield context.new_page()
    finally:
        context.close()
    _fail_on_csp_violations(violations)


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Factory for extra pages, e.g. ``new_page(locale="es-PE")`` for a Spanish browser.

    Each call opens its own phone-sized context; all are closed at teardown. Any
    Content-Security-Policy violation on them fails the test.
    """
    contexts: list[BrowserContext] = []
    violations: list[str] = []

    def make(locale: str = DEFAULT_LOCALE) -> Page:
        context = _new_context(browser, locale, violations)
        contexts.append(context)
        return context.new_page()

    try:
        yield make
    finally:
        for context in contexts:
            context.close()
    _fail_on_csp_violations(violations)


_AXE_RUN = """
async () => {
    const results = await axe.run(document, {resultTypes: ['violations']});
    return results.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        helpUrl: v.helpUrl,
        targets: v.nodes.map((node) => node.target),
    }));
}
"""


def _inject_axe(page: Page) -> None:
    if page.evaluate("typeof window.axe !== 'undefined'"):
        return
    # Not add_script_tag: the site's Content-Security-Policy blocks the inline <script>
    # it creates (a console violation that fails the test); evaluating through
    # DevTools is not subject to the policy.
    page.evaluate(AXE_PATH.read_text(encoding="utf-8"))
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        raise RuntimeError(f"could not load axe-core from {AXE_PATH} into {page.url}")


def _format_target(target: list) -> str:
    # A target is a list of selectors: one per iframe / shadow root hop.
    return " >>> ".join(
        " > ".join(part) if isinstance(part, list) else str(part) for part in target
    )


def assert_accessible(page: Page) -> None:
    """Run axe-core (vendored, no network) and fail on serious or critical violations."""
    _inject_axe(page)
    violations = page.evaluate(_AXE_RUN)
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    if not blocking:
        return
    lines = [f"{len(blocking)} serious/critical accessibility violation(s) on {page.url}:"]
    for violation in blocking:
        targets = violation["targets"]
        lines.append(
            f"- {violation['id']} [{violation['impact']}]: {violation['help']} "
            f"({violation['helpUrl']})"
        )
        for target in targets[:3]:
            lines.append(f"    {_format_target(target)}")
        if len(targets) > 3:
            lines.append(f"    ... and {len(targets) - 3} more")
    raise AssertionError("\n".join(lines))


def tab_to(page: Page, selector: str, *, presses: int = 80) -> None:
    """Press Tab until the element `selector` has the focus, as a keyboard user would."""
    target = page.locator(selector)
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === el.ownerDocument.activeElement"):
            return
    pytest.fail(f"Tab never reached {selector}", pytrace=False)
