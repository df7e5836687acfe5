"""Embeds: who may frame them, signing without cookies, the same defences and e-mail."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from outcry.campaigns.embeds import embed_snippet
from outcry.campaigns.models import Role
from outcry.outbox.models import Message
from outcry.signing.models import Signature
from tests import factories
from tests.faults.forms import hidden_fields
from tests.guard.helpers import human

pytestmark = pytest.mark.django_db

FRIEND = "https://friends.example"
OURS = "http://testserver"


def directives(response) -> dict[str, list[str]]:
    parts = (d.split() for d in response["Content-Security-Policy"].split(";") if d.strip())
    return {name: values for name, *values in parts}


def embed_urls(petition, language="en"):
    with translation.override(language):
        return (
            reverse("embed_petition", args=[petition.slug]),
            reverse("embed_sign", args=[petition.slug]),
            reverse("embed_thanks", args=[petition.slug]),
        )


def signer(**fields):
    return {
        "name": "Rosa Mamani",
        "email": "rosa.embed@example.org",
        "country": "PE",
        "postcode": "",
        "name_display": "full",
        **fields,
    }


@pytest.fixture
def petition():
    return factories.petition(embed_origins=["https://*.partner.example", FRIEND])


@pytest.fixture
def browser():
    """A client that checks CSRF like a real browser and never has a cookie to send:
    what a frame on another site gets when third-party cookies are blocked."""
    return Client(enforce_csrf_checks=True)


def test_embed_may_be_framed_by_the_listed_sites_only(client, petition):
    page, _sign, _thanks = embed_urls(petition)
    response = client.get(page)
    assert response.status_code == 200
    csp = directives(response)
    assert csp["frame-ancestors"] == ["https://*.partner.example", FRIEND]
    assert csp["script-src"] == ["'self'"]  # the rest of the policy is untouched
    assert "X-Frame-Options" not in response
    # The campaign's own page still refuses every frame.
    full = client.get(petition.get_absolute_url())
    assert directives(full)["frame-ancestors"] == ["'none'"]
    assert full["X-Frame-Options"] == "DENY"


def test_embed_with_no_listed_site_may_be_framed_by_nobody(client):
    petition = factories.petition()
    for url in embed_urls(petition)[::2]:
        response = client.get(url)
        assert response.status_code == 200
        assert directives(response)["frame-ancestors"] == ["'none'"]
        assert response["X-Frame-Options"] == "DENY"


def test_signing_in_the_frame_needs_no_cookie_and_mails_a_confirmation(browser, petition):
    page, sign, thanks = embed_urls(petition)
    shown = browser.get(page, HTTP_REFERER="https://friends.example/campaign")
    assert "Set-Cookie" not in shown and not shown.cookies
    data = {**hidden_fields(shown.content.decode(), sign), **signer()}
    # Seen a minute ago, as a person would send it.
    data = human(data, campaign=petition)
    response = browser.post(sign, data, HTTP_ORIGIN=OURS)
    assert response.status_code == 302 and response["Location"] == thanks
    assert not response.cookies
    signature = Signature.objects.get(petition=petition)
    assert signature.state == Signature.State.PENDING
    assert signature.referrer == "friends.example"  # the host page, for the numbers page
    message = Message.objects.get()
    assert message.to == "rosa.embed@example.org"
    assert message.template == "signing/email/confirm"
    done = browser.get(thanks)
    assert done.status_code == 200
    assert "Check your e-mail" in done.content.decode()
    assert directives(done)["frame-ancestors"] == ["https://*.partner.example", FRIEND]


def test_signing_again_in_the_frame_looks_the_same(browser, petition):
    _page, sign, thanks = embed_urls(petition)
    for _ in range(2):
        response = browser.post(sign, human(signer(), campaign=petition), HTTP_ORIGIN=OURS)
        assert response.status_code == 302 and response["Location"] == thanks
    assert Signature.objects.filter(petition=petition).count() == 1
    assert Message.objects.count() == 2  # a fresh link instead of a revealing page


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},  # a sandboxed frame, a data: page
        {"HTTP_REFERER": "https://evil.example/page"},
        {},
    ],
    ids=["other-origin", "opaque-origin", "other-referer", "none"],
)
def test_a_post_not_from_our_own_page_is_refused_and_writes_nothing(browser, petition, headers):
    _page, sign, _thanks = embed_urls(petition)
    response = browser.post(sign, human(signer(), campaign=petition), **headers)
    assert response.status_code == 403
    assert "can only be sent from its own page" in response.content.decode()
    assert not Signature.objects.exists() and not Message.objects.exists()
    assert directives(response)["frame-ancestors"] == ["https://*.partner.example", FRIEND]


def test_a_browser_without_origin_is_recognised_by_its_referer(browser, petition):
    page, sign, thanks = embed_urls(petition)
    response = browser.post(sign, human(signer(), campaign=petition), HTTP_REFERER=OURS + page)
    assert response.status_code == 302 and response["Location"] == thanks
    assert Signature.objects.count() == 1


def test_a_robot_in_the_frame_is_thanked_and_nothing_is_written(browser, petition):
    _page, sign, thanks = embed_urls(petition)
    robot = {**human(signer(), campaign=petition), "website": "https://spam.example"}
    response = browser.post(sign, robot, HTTP_ORIGIN=OURS)
    assert response.status_code == 302 and response["Location"] == thanks
    assert not Signature.objects.exists() and not Message.objects.exists()


def test_form_errors_show_in_the_frame_in_the_frames_language(browser, petition):
    _page, sign, _thanks = embed_urls(petition, "es")
    response = browser.post(sign, human(signer(email=""), campaign=petition), HTTP_ORIGIN=OURS)
    assert response.status_code == 400
    html = response.content.decode()
    assert '<html lang="es">' in html
    with translation.override("es"):
        assert translation.gettext("Please enter your e-mail address.") in html
    assert "Please enter your e-mail address." not in html
    assert directives(response)["frame-ancestors"] == ["https://*.partner.example", FRIEND]
    assert not Signature.objects.exists()


def test_the_embed_speaks_the_language_of_its_address(client, petition):
    page, _sign, _thanks = embed_urls(petition, "es")
    html = client.get(page).content.decode()
    assert '<html lang="es">' in html
    with translation.override("es"):
        assert translation.gettext("Sign the petition") in html


def test_a_flood_from_the_frame_gets_a_429_the_frame_may_still_show(browser, petition, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sign": (1, 60)}
    _page, sign, _thanks = embed_urls(petition)
    assert (
        browser.post(sign, human(signer(), campaign=petition), HTTP_ORIGIN=OURS).status_code == 302
    )
    response = browser.post(
        sign, human(signer(email="b@example.org"), campaign=petition), HTTP_ORIGIN=OURS
    )
    assert response.status_code == 429
    assert directives(response)["frame-ancestors"] == ["https://*.partner.example", FRIEND]


def test_a_closed_petition_shows_its_count_and_takes_no_signature(browser, petition):
    petition.closed_at = timezone.now()
    petition.save()
    page, sign, _thanks = embed_urls(petition)
    html = browser.get(page).content.decode()
    assert "This petition is closed" in html and "<form" not in html
    response = browser.post(sign, human(signer(), campaign=petition), HTTP_ORIGIN=OURS)
    assert response.status_code == 403
    assert not Signature.objects.exists()


def test_a_draft_has_no_embed(client):
    draft = factories.petition(published_at=None, embed_origins=[FRIEND])
    assert client.get(embed_urls(draft)[0]).status_code == 404


def test_urgent_action_embed_shows_the_count_and_a_link_to_act(client):
    action = factories.urgent_action()
    action.embed_origins = [FRIEND]
    action.save()
    response = client.get(reverse("embed_action", args=[action.serial, action.year]))
    assert response.status_code == 200
    html = response.content.decode()
    assert action.headline in html and "people took action" in html
    assert f'href="http://127.0.0.1:8000{action.get_absolute_url()}" target="_blank"' in html
    assert directives(response)["frame-ancestors"] == [FRIEND]
    assert "X-Frame-Options" not in response


def test_the_snippet_has_the_script_and_a_plain_frame_without_it(petition, settings):
    settings.SITE_URL = "https://outcry.example"
    petition.title = 'Free "them" <now>'
    snippet = embed_snippet(petition, language="es")
    assert f'<div data-outcry-petition="{petition.slug}"' in snippet
    assert 'data-title="Free &quot;them&quot; &lt;now&gt;"' in snippet
    assert '<script src="https://outcry.example/static/outcry/embed.js" async></script>' in snippet
    assert (
        f'<noscript><iframe src="https://outcry.example/es/petitions/{petition.slug}/embed/"'
        in snippet
    )


@pytest.fixture
def editor(client):
    org = factories.organisation()
    client.force_login(factories.user(org=org, role=Role.EDITOR))
    client.org = org
    return client


def petition_form(petition, **overrides):
    return {
        "title": petition.title,
        "slug": petition.slug,
        "goal": petition.goal,
        "target": petition.target_id,
        "language": "en",
        "body": petition.body,
        "letter": petition.letter,
        "published_at": timezone.localtime(petition.published_at).strftime("%Y-%m-%dT%H:%M"),
        "lock_threshold": "100",
        **overrides,
    }


def test_organisers_list_the_sites_which_are_normalised_and_the_snippet_shows(editor):
    petition = factories.petition(org=editor.org)
    url = reverse("authoring_petition_edit", args=[editor.org.slug, petition.pk])
    lines = "HTTPS://Friends.Example/\r\n\r\nhttps://shop.example:443\r\nhttp://localhost:8080"
    response = editor.post(url, petition_form(petition, embed_origins=lines))
    assert response.status_code == 302, response.content.decode()
    petition.refresh_from_db()
    assert petition.embed_origins == ["http://localhost:8080", FRIEND, "https://shop.example"]
    page = editor.get(url).content.decode()
    assert "http://localhost:8080\nhttps://friends.example\nhttps://shop.example</textarea>" in page
    assert "&lt;script src=&quot;http://127.0.0.1:8000/static/outcry/embed.js" in page
    assert "data-copy=" in page


@pytest.mark.parametrize(
    "bad",
    [
        "javascript:alert(1)",
        "https://friends.example/campaign",
        "'self'",
        "*",
        "https://friends.example; script-src *",
        "ftp://friends.example",
        "https://friends.example:99999",
    ],
)
def test_what_is_not_a_site_address_is_refused_in_the_organisers_language(editor, bad):
    petition = factories.petition(org=editor.org)
    with translation.override("es"):
        url = reverse("authoring_petition_edit", args=[editor.org.slug, petition.pk])
    response = editor.post(url, petition_form(petition, embed_origins=f"{FRIEND}\n{bad}"))
    assert response.status_code == 400
    assert "no es la dirección de un sitio" in response.content.decode()
    petition.refresh_from_db()
    assert petition.embed_origins == []


def test_the_model_refuses_what_is_not_a_site_address():
    petition = factories.petition()
    petition.embed_origins = ["https://ok.example", "https://bad.example/path"]
    with pytest.raises(ValidationError) as raised:
        petition.full_clean()
    assert "embed_origins" in raised.value.message_dict
