"""Post a public form the way a browser does: GET the page, keep its hidden fields."""

from html.parser import HTMLParser


class _FormFields(HTMLParser):
    def __init__(self, action: str):
        super().__init__()
        self.action = action
        self.inside = False
        self.fields: dict[str, str] = {}
        self.found = False
        self.challenge = ""  # where the form's robot-check widget fetches its challenge

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("action") == self.action
            self.found = self.found or self.inside
        elif tag == "input" and self.inside and attrs.get("type") == "hidden" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "altcha-widget" and self.inside:
            self.challenge = attrs.get("challenge") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def hidden_fields(html: str, action: str) -> dict[str, str]:
    """The hidden inputs (CSRF token, form render time...) of the form posting to `action`."""
    parser = _FormFields(action)
    parser.feed(html)
    assert parser.found, f"no form posts to {action}"
    return parser.fields


def robot_check(client, html: str, action: str) -> dict[str, str]:
    """The solved robot check the widget of the form posting to `action` would add."""
    parser = _FormFields(action)
    parser.feed(html)
    if not parser.challenge:
        return {}
    from tests.guard.helpers import solve

    return {"altcha": solve(client.get(parser.challenge).json())}


def sign_data(client, page_url: str, sign_url: str, **fields) -> dict[str, str]:
    """What a browser would post to sign after opening the petition page."""
    page = client.get(page_url)
    assert page.status_code == 200
    html = page.content.decode()
    return {
        **hidden_fields(html, sign_url),
        **robot_check(client, html, sign_url),
        "name": "Rosa Mamani",
        "email": "rosa.fault@example.org",
        "country": "PE",
        "postcode": "",
        "name_display": "full",
        **fields,
    }
