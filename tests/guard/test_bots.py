"""The honeypot and the signed render time on the sign, comment, report and letter forms."""

import re
from dataclasses import dataclass

import pytest

from outcry.actions.models import ActionReport, LetterBatch
from outcry.campaigns.models import Comment
from outcry.guard.bots import STARTED, issue_token
from outcry.outbox.models import Message
from outcry.signing.models import Signature
from tests import factories
from tests.guard.helpers import human, token_from

pytestmark = pytest.mark.django_db


@dataclass
class Form:
    page: str  # where the form is shown
    url: str  # where it posts
    data: dict
    thanks: str  # where a person is sent afterwards
    campaign: object = None  # whose robot check the form carries


def sign_form():
    petition = factories.petition()
    base = f"/en/petitions/{petition.slug}/"
    data = {"name": "Ana Quispe", "email": "ana@example.org", "country": "PE"}
    return Form(base, base + "sign/", {**data, "name_display": "full"}, base + "thanks/", petition)


def comment_form():
    petition = factories.petition(comments_premoderated=True)
    base = f"/en/petitions/{petition.slug}/"
    data = {"name": "Luis", "email": "luis@example.org", "text": "Because it matters."}
    return Form(base, base + "comments/", data, base + "comments/thanks/", petition)


def action_base(action):
    return f"/en/actions/ua-{action.serial}-{action.year}/"


def report_form():
    action = factories.urgent_action()
    base = action_base(action)
    data = {"country": "PE", "letters": "2"}
    return Form(base + "report/", base + "report/", data, base + "report/thanks/", action)


def letter_form():
    action = factories.urgent_action()
    base = action_base(action)
    data = {
        "targets": [t.pk for t in action.ordered_targets()],
        "language": "es",
        "subject": "Alto a la fuerza",
        "body": "Le pido que actúe.",
        "name": "Rosa Quispe",
        "email": "rosa@example.org",
        "country": "PE",
    }
    return Form(None, base + "send/", data, base + "sent/", action)


FORMS = {"sign": sign_form, "comment": comment_form, "report": report_form, "letter": letter_form}


def nothing_written():
    return not (
        Signature.objects.exists()
        or Comment.objects.exists()
        or ActionReport.objects.exists()
        or LetterBatch.objects.exists()
        or Message.objects.exists()
    )


@pytest.mark.parametrize("kind", FORMS)
def test_a_person_gets_through(client, kind):
    form = FORMS[kind]()
    response = client.post(form.url, human(form.data, campaign=form.campaign))
    assert (response.status_code, response["Location"]) == (302, form.thanks)
    assert not nothing_written()


ROBOTS = {
    "fills the honeypot": lambda: {"website": "https://spam.example", STARTED: token_from(60)},
    "fills it with a space": lambda: {"website": " ", STARTED: token_from(60)},
    "is too fast": lambda: {"website": "", STARTED: issue_token()},
    "is too old": lambda: {"website": "", STARTED: token_from(25 * 3600)},
    "tampers with the time": lambda: {"website": "", STARTED: "form:1:forged"},
    "sends no time": lambda: {"website": ""},
}


@pytest.mark.parametrize("robot", ROBOTS)
@pytest.mark.parametrize("kind", FORMS)
def test_a_robot_is_thanked_like_anyone_and_nothing_is_written(client, kind, robot):
    form = FORMS[kind]()
    response = client.post(form.url, {**form.data, **ROBOTS[robot]()})
    assert (response.status_code, response["Location"]) == (302, form.thanks)
    assert nothing_written()


def test_a_token_re_signed_with_another_time_is_refused(client):
    form = sign_form()
    value, stamp, signature = token_from(60).split(":")
    forged = f"{value}:{token_from(3600).split(':')[1]}:{signature}"
    client.post(form.url, {**form.data, "website": "", STARTED: forged})
    assert nothing_written()


def test_the_minimum_and_maximum_ages_are_settings(client, settings):
    settings.FORM_MIN_FILL_SECONDS = 0
    form = sign_form()
    client.post(form.url, human(form.data, campaign=form.campaign) | {STARTED: issue_token()})
    assert Signature.objects.count() == 1
    settings.FORM_MAX_AGE_HOURS = 1
    client.post(
        form.url,
        human(form.data, email="old@example.org", campaign=form.campaign)
        | {STARTED: token_from(7200)},
    )
    assert Signature.objects.count() == 1


@pytest.mark.parametrize("kind", ["sign", "comment", "report"])
def test_the_page_hides_the_honeypot_from_people_and_screen_readers(client, kind):
    page = client.get(FORMS[kind]().page).content.decode()
    honeypots = re.findall(
        r'<div class="visually-hidden" aria-hidden="true">\s*<label for="(\w+)">Leave this empty'
        r'</label>\s*<input type="text" name="website" tabindex="-1" autocomplete="off" id="(\w+)"',
        page,
    )
    assert honeypots and all(label == field for label, field in honeypots)
    assert re.search(rf'<input type="hidden" name="{STARTED}" value="form:[\w-]+:[\w-]+"', page)


def test_the_letter_form_carries_both_fields(client):
    form = letter_form()
    data = {k: v for k, v in form.data.items() if k not in ("email", "country")}
    page = client.post(form.url.replace("send/", "write/"), data).content.decode()
    assert 'name="website" tabindex="-1"' in page
    assert f'name="{STARTED}"' in page


def test_a_form_shown_again_with_errors_keeps_its_time_or_gets_a_fresh_one(client):
    form = sign_form()
    shown = token_from(60)
    page = client.post(form.url, {**form.data, "name": "", STARTED: shown}).content.decode()
    assert f'value="{shown}"' in page
    stale = token_from(25 * 3600)
    page = client.post(form.url, {**form.data, "name": "", STARTED: stale}).content.decode()
    assert f'value="{stale}"' not in page and f'name="{STARTED}" value="form:' in page


def test_the_guard_fields_never_reach_the_services(client):
    from outcry.signing.forms import SignatureForm

    sign = sign_form()
    form = SignatureForm(human(sign.data, campaign=sign.campaign), campaign=sign.campaign)
    assert form.is_valid() and not form.turned_away
    assert "website" not in form.cleaned_data and STARTED not in form.cleaned_data
    assert "altcha" not in form.cleaned_data
