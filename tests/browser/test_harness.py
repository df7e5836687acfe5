"""The browser harness itself works: system Chromium starts and axe-core catches problems."""

import pytest

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

ACCESSIBLE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign the petition</title></head>
<body>
  <main>
    <h1>Sign the petition</h1>
    <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="Campaign logo">
    <form>
      <label for="email">Email address</label>
      <input id="email" name="email" type="email">
      <button type="submit">Sign</button>
    </form>
  </main>
</body>
</html>"""

INACCESSIBLE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign the petition</title></head>
<body>
  <main>
    <h1>Sign the petition</h1>
    <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
    <form>
      <input name="email" type="email">
      <button type="submit">Sign</button>
    </form>
  </main>
</body>
</html>"""


def test_axe_passes_accessible_page_and_names_rules_on_broken_one(page):
    page.set_content(ACCESSIBLE)
    assert page.viewport_size == {"width": 390, "height": 844}
    assert_accessible(page)

    page.set_content(INACCESSIBLE)
    with pytest.raises(AssertionError) as excinfo:
        assert_accessible(page)
    message = str(excinfo.value)
    # Rule ids lead each entry ("- <rule id> [<impact>]: ..."), followed by target selectors.
    assert "- image-alt [" in message
    assert "- label [" in message
    assert "    img" in message
    assert "    input" in message


def test_harness_catches_content_security_policy_violations(browser):
    from tests.browser.conftest import DEFAULT_LOCALE, _new_context

    violations: list[str] = []
    context = _new_context(browser, DEFAULT_LOCALE, violations)
    try:
        page = context.new_page()
        page.route(
            "http://csp.test/",
            lambda route: route.fulfill(
                status=200,
                content_type="text/html",
                headers={"Content-Security-Policy": "script-src 'self'"},
                body="<!doctype html><title>t</title><script>document.title = 'ran'</script>",
            ),
        )
        page.goto("http://csp.test/")
        assert page.title() == "t"
    finally:
        context.close()
    assert violations and "Content Security Policy" in violations[0]
