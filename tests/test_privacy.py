"""Invariant 3: every public page, JSON and header of campaigns with signers,
commenters and activists shows no e-mail address, postcode or IP (nor its
hash), and no more of a name than its signer chose to show.

The addresses are listed from the URL configuration itself: a new public URL
fails `test_every_public_address_is_known` until this file knows how to fill it.
"""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation

from outcry.actions.models import ActionReport
from outcry.campaigns.models import Comment, PetitionUpdate
from outcry.outbox.models import Message
from outcry.signing import services
from outcry.signing.models import NameDisplay, Signature
from outcry.signing.provenance import ip_hash
from tests import factories
from tests.faults.forms import sign_data

pytestmark = pytest.mark.django_db

SIGNER_IP = "203.0.113.77"
POSTCODES = ["SW1A 9ZZ", "LIMA 15074"]
EMAIL = re.compile(r"[\w.+%-]+(?:@|%40|&#64;|&#x40;)[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)


def public_patterns(resolver=None, namespace=""):
    """Every URL a visitor may open: all but the admin and the organiser workspace."""
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            if p.namespace != "admin":
                yield from public_patterns(p, f"{p.namespace}:" if p.namespace else namespace)
        elif not hasattr(p.callback, "roles"):  # member_required views: tests/organiser
            p.outcry_namespace = namespace  # the API's names live in its own namespace
            yield p


def key(pattern: URLPattern) -> str:
    return pattern.outcry_namespace + pattern.name if pattern.name else str(pattern.pattern)


@pytest.fixture
def world(client, time_machine):
    org = factories.organisation()
    petition = factories.petition(org=org, slug="free-them")
    # One signer through the real form, from a known IP, confirmed through its link.
    page = reverse("petition", args=[petition.slug])
    sign_url = reverse("sign", args=[petition.slug])
    data = sign_data(
        client,
        page,
        sign_url,
        name="Rosa Formsigner",
        email="secret.signer+form@example.org",
        postcode=POSTCODES[0],
    )
    time_machine.move_to(timezone.now() + timedelta(minutes=1))
    assert client.post(sign_url, data, REMOTE_ADDR=SIGNER_IP).status_code == 302
    confirm_url = Message.objects.get().context["confirm_url"]
    assert services.confirm(raw_token=confirm_url.rstrip("/").rsplit("/", 1)[-1])
    client.cookies.clear()
    for n, display in enumerate(NameDisplay.values):
        for language in ("en", "es"):
            factories.signature(
                petition=petition,
                # Only a signer showing their full name has their surname on a page.
                name=f"Ana {'Shown' if display == NameDisplay.FULL else 'Hidden'}surname{n}",
                name_display=display,
                email=f"secret.signer{n}{language}+x@example.org",
                postcode=POSTCODES[1],
                ip_hash=ip_hash(SIGNER_IP),
                language=language,
            )
    factories.signature(petition=petition, confirmed=False, email="secret.pending@example.org")
    services.apply_count_deltas()
    comments = {
        status: Comment.objects.create(
            petition=petition,
            name=f"Commenter {status}",
            email=f"secret.commenter+{status}@example.org",
            text="Free them now.",
            status=status,
        )
        for status in Comment.Status.values
    }
    PetitionUpdate.objects.create(petition=petition, title="Delivered", body="We delivered it.")
    action = factories.urgent_action(org=org)
    factories.urgent_action(org=org, follows=action, headline="Released")
    for n, status in enumerate(ActionReport.Status.values):
        ActionReport.objects.create(
            action=action,
            country="PE",
            letters=2,
            emails=1,
            email=f"secret.reporter+{n}@example.org",
            wants_updates=True,
            language="es",
            status=status,
        )
    Message.objects.update(state=Message.State.SENT)  # what the mailbox would list
    return {
        "petition": petition,
        "comment": comments[Comment.Status.APPROVED],
        "action": action,
        "message": Message.objects.first(),
        "public_emails": {e for t in action.targets.all() for e in t.emails}
        | {e for e in petition.target.emails},
    }


def slug(w):
    return {"slug": w["petition"].slug}


def case(w):
    return {"serial": w["action"].serial, "year": w["action"].year}


# How to fill each public address. The token pages are private to the holder of
# the link (their own address may show there): what anyone else sees is tried,
# with a made-up token.
ARGS = {
    "home": lambda w: {},
    "archive": lambda w: {},
    "petition": slug,
    "sign": slug,  # POST only
    "thanks": slug,
    "confirmed": slug,
    "signatures": slug,
    "count_json": slug,
    "robot_challenge": lambda w: {"kind": "petition", "pk": w["petition"].pk},
    "embed_petition": slug,
    "embed_sign": slug,  # POST only
    "embed_thanks": slug,
    "embed_action": case,
    "campaigns_feed": lambda w: {},
    "petition_feed": slug,
    "action_feed": case,
    "comment": slug,  # POST only
    "comment_thanks": slug,
    "report_comment": lambda w: {**slug(w), "pk": w["comment"].pk},
    "confirm": lambda w: {"token": "made-up"},
    "action": case,
    "write_letters": case,  # POST only
    "print_letters": case,  # POST only
    "send_letters": case,  # POST only
    "letters_sent": case,
    "report": case,
    "report_thanks": case,
    "confirm_letters": lambda w: {"token": "made-up"},
    "letters_status": lambda w: {"token": "made-up"},
    "amend_report": lambda w: {"token": "made-up"},
    "stop_case_updates": lambda w: {"token": "made-up"},
    "accept_invitation": lambda w: {"token": "made-up"},
    "unsubscribe": lambda w: {"token": "made-up"},
    "my_data_request": lambda w: {},
    "my_data": lambda w: {"token": "made-up"},
    "my_data_download": lambda w: {"token": "made-up"},
    "organiser_login": lambda w: {},
    "organiser_login_code": lambda w: {},  # sends a visitor without a password step to login
    "organiser_logout": lambda w: {},  # POST only
    "organiser_home": lambda w: {},  # sends a visitor to the login page
    # The local mailbox lists every e-mail, so it exists on local installs only:
    # tried here as a public install (EMAIL_URL set) serves it, a 404.
    "mailbox": lambda w: {},
    "mailbox_message": lambda w: {"pk": w["message"].pk},
    "^media/(?P<path>.*)$": lambda w: {"path": "none.png"},
    # The API: public figures, the schema, and (without a token, as anyone calls
    # them) the OSDI resources, which answer 401.
    "api:api-root": lambda w: {},
    "api:openapi-json": lambda w: {},
    "api:public_petitions": lambda w: {},
    "api:public_petition": slug,
    "api:public_petition_count": slug,
    "api:public_actions": lambda w: {},
    "api:public_action": case,
    "api:entry": lambda w: {},
    "api:petition_list": lambda w: {},
    "api:petition_detail": lambda w: {"pk": w["petition"].pk},
    "api:petition_signatures": lambda w: {"pk": w["petition"].pk},
    "api:record_signature": lambda w: {"pk": w["petition"].pk},
    "api:signature_list": lambda w: {},
    "api:signature_detail": lambda w: {"pk": 1},
    "api:person_list": lambda w: {},
    "api:person_detail": lambda w: {"pk": 1},
    "api:person_signatures": lambda w: {"pk": 1},
    "api:campaign_list": lambda w: {},
    "api:campaign_detail": lambda w: {"pk": w["action"].pk},
    "api:campaign_outreaches": lambda w: {"pk": w["action"].pk},
    "api:record_outreach": lambda w: {"pk": w["action"].pk},
    "api:outreach_list": lambda w: {},
    "api:outreach_detail": lambda w: {"kind": "report", "pk": 1},
}

PATTERNS = list(public_patterns())


def test_every_public_address_is_known():
    unknown = {key(p) for p in PATTERNS} - set(ARGS)
    assert not unknown, f"add {unknown} to ARGS in {__file__}: its pages must be checked"
    assert {key(p) for p in PATTERNS} == set(ARGS)


def url(pattern, w) -> str:
    if pattern.name:
        return reverse(key(pattern), kwargs=ARGS[key(pattern)](w))
    return "/media/" + ARGS[key(pattern)](w)["path"]


def leaks(text: str, w) -> list[str]:
    found = [e for e in EMAIL.findall(text) if e.lower() not in w["public_emails"]]
    found += [p for p in POSTCODES if p in text or p.replace(" ", "") in text]
    found += [s for s in (SIGNER_IP, ip_hash(SIGNER_IP), "secret.", "Hiddensurname") if s in text]
    return found


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_no_public_page_json_or_header_shows_an_address_postcode_or_ip(
    client, world, language, settings
):
    settings.LOCAL_MAIL = False  # a public install
    seen = {}
    for pattern in PATTERNS:
        with translation.override(language):
            address = url(pattern, world)
        response = client.get(address, REMOTE_ADDR="198.51.100.1")
        assert response.status_code in (200, 302, 401, 404, 405), (address, response.status_code)
        text = b"".join(response).decode() if response.streaming else response.content.decode()
        headers = "\n".join(f"{k}: {v}" for k, v in response.items())
        seen[address] = response.status_code
        assert not leaks(text + headers, world), (address, leaks(text + headers, world))
    # The pages that hold signers, comments and reports were really shown.
    slug_ = world["petition"].slug
    with translation.override(language):
        for name in ("petition", "signatures", "report_comment"):
            args = [slug_] if name != "report_comment" else [slug_, world["comment"].pk]
            assert seen[reverse(name, args=args)] == 200
        assert seen[reverse("report_thanks", kwargs=case(world))] == 200
    assert seen[reverse("count_json", args=[slug_])] == 200
    with translation.override(language):
        for name in ("embed_petition", "embed_thanks", "petition_feed", "campaigns_feed"):
            assert (
                seen[reverse(name, kwargs={} if name == "campaigns_feed" else slug(world))] == 200
            )
        for name in ("embed_action", "action_feed"):
            assert seen[reverse(name, kwargs=case(world))] == 200
    assert seen[reverse("api:public_petition", args=[slug_])] == 200
    assert seen[reverse("api:public_action", kwargs=case(world))] == 200


def test_the_signers_really_are_on_the_pages_checked(client, world):
    """Guards the test above against checking empty pages: the chosen names show."""
    page = client.get(reverse("signatures", args=[world["petition"].slug])).content.decode()
    assert "Rosa Formsigner" in page  # full name, as chosen
    assert "Ana Shownsurname0" in page  # full name, as chosen
    assert "Ana H." in page  # first name and initial; no surname ("Hiddensurname" is a leak)
    assert page.count("Anonymous") >= 2
    assert Signature.objects.confirmed().count() == 7
    assert sum(c.email.startswith("secret.") for c in world["petition"].comments.all()) == 4
