"""Security headers, a strict Content-Security-Policy and no third-party requests."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import check_password, identify_hasher, make_password

from tests import factories

PACKAGE = Path(django_settings.BASE_DIR)
STATIC = PACKAGE / "static"


def public_responses(client):
    """One response of each public page, with the objects it needs, as (address, response)."""
    petition = factories.petition()
    factories.signature(petition=petition)
    action = factories.urgent_action()
    p = f"/en/petitions/{petition.slug}/"
    a = f"/en/actions/ua-{action.serial}-{action.year}/"
    for url in [
        "/en/",
        "/es/",
        "/en/archive/",
        p,
        f"{p}signatures/",
        f"{p}thanks/",
        f"{p}confirmed/",
        f"{p}comments/thanks/",
        f"{p}embed/",  # embeds of a campaign that lists no site refuse frames too
        f"{p}embed/thanks/",
        a,
        f"{a}embed/",
        f"{a}sent/",
        f"{a}report/",
        f"{a}report/thanks/",
        "/en/organiser/login/",
    ]:
        yield url, client.get(url)
    # The printable letters answer the write form's POST.
    letter = {
        "targets": [t.pk for t in action.ordered_targets()],
        "language": "es",
        "subject": "Alto a la fuerza",
        "body": "Le pido que actúe.",
        "name": "Rosa Quispe",
    }
    yield f"{a}print/", client.post(f"{a}print/", letter)


def directives(header: str) -> dict[str, list[str]]:
    parts = (d.split() for d in header.split(";") if d.strip())
    return {name: values for name, *values in parts}


@pytest.mark.django_db
def test_every_public_page_sends_the_security_headers(client):
    for url, response in public_responses(client):
        assert response.status_code == 200, url
        csp = directives(response["Content-Security-Policy"])
        assert csp["script-src"] == ["'self'"], url
        assert csp["style-src"] == ["'self'"], url
        assert csp["default-src"] == ["'self'"], url
        assert csp["frame-ancestors"] == ["'none'"], url
        assert csp["object-src"] == ["'none'"], url
        assert "'unsafe-inline'" not in response["Content-Security-Policy"], url
        assert "'unsafe-eval'" not in response["Content-Security-Policy"], url
        policy = response["Permissions-Policy"]
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert f"{feature}=()" in policy, (url, feature)
        assert "browsing-topics=()" in policy, url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["X-Content-Type-Options"] == "nosniff", url


def _templates() -> list[Path]:
    """The project's templates and every app's (outcry/*/templates)."""
    found = sorted(p for p in PACKAGE.rglob("*.html") if "templates" in p.parts)
    assert found, PACKAGE
    return found


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.IGNORECASE)
JS_URL = re.compile(r"""=\s*["']?\s*javascript:""", re.IGNORECASE)


@pytest.mark.parametrize(
    "pattern", [INLINE_SCRIPT, EVENT_HANDLER, STYLE_ATTRIBUTE, STYLE_ELEMENT, JS_URL]
)
def test_no_template_holds_what_the_content_security_policy_blocks(pattern):
    offenders = [
        f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}"
        for path in _templates()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, "\n".join(offenders)


class _Fetches(HTMLParser):
    """Collects every URL the browser would fetch by itself: not <a href>, which is a link."""

    FETCHING_RELS = {
        "stylesheet",
        "icon",
        "apple-touch-icon",
        "preload",
        "prefetch",
        "modulepreload",
        "manifest",
        "preconnect",
        "dns-prefetch",
    }

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in {"script", "img", "iframe", "audio", "video", "source", "track", "embed"}:
            self.urls.append(attrs.get("src") or "")
        if tag in {"img", "source"} and attrs.get("srcset"):
            self.urls += [part.split()[0] for part in attrs["srcset"].split(",") if part.strip()]
        if tag == "object":
            self.urls.append(attrs.get("data") or "")
        if tag == "video":
            self.urls.append(attrs.get("poster") or "")
        if tag == "link" and set((attrs.get("rel") or "").lower().split()) & self.FETCHING_RELS:
            self.urls.append(attrs.get("href") or "")


def third_party(urls: list[str]) -> list[str]:
    return [u for u in urls if re.match(r"\s*(https?:)?//", u, re.IGNORECASE)]


@pytest.mark.django_db
def test_no_page_fetches_anything_from_a_third_party(client):
    for url, response in public_responses(client):
        assert response.status_code == 200, url
        html = response.content.decode()
        parser = _Fetches()
        parser.feed(html)
        assert parser.urls, url  # the stylesheet and script at least
        assert not third_party(parser.urls), (url, third_party(parser.urls))


def test_no_stylesheet_fetches_from_a_third_party():
    for path in STATIC.rglob("*.css"):
        css = path.read_text(encoding="utf-8")
        assert not re.search(r"@import|url\(\s*['\"]?\s*(https?:)?//", css, re.IGNORECASE), path


def test_share_links_are_links_not_requests():
    html = (
        '<a href="https://wa.me/?text=x">WhatsApp</a>'
        '<link rel="alternate" hreflang="es" href="https://outcry.example/es/">'
        '<img src="https://tracker.example/p.gif" alt="">'
    )
    parser = _Fetches()
    parser.feed(html)
    assert third_party(parser.urls) == ["https://tracker.example/p.gif"]


def test_new_passwords_are_hashed_with_argon2(settings):
    settings.PASSWORD_HASHERS = _production_hashers()
    encoded = make_password("correct horse battery staple")
    assert identify_hasher(encoded).algorithm == "argon2"
    assert check_password("correct horse battery staple", encoded)


def test_old_pbkdf2_hashes_still_verify(settings):
    settings.PASSWORD_HASHERS = _production_hashers()
    old = make_password("an old password", hasher="pbkdf2_sha256")
    assert check_password("an old password", old)


def _production_hashers() -> list[str]:
    # tests/conftest.py swaps in MD5 for speed; read what outcry/settings.py configures.
    from outcry import settings as production

    return production.PASSWORD_HASHERS
