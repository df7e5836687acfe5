"""The proof-of-work robot check (ALTCHA) on a campaign's forms: solved once, for
its own campaign, within its time; its work factor per campaign, raised by a surge."""

import json
import time

import pytest
import time_machine

from outcry.campaigns.models import Comment
from outcry.guard import challenges
from outcry.guard.models import SpentChallenge
from outcry.outbox.models import Message
from outcry.signing.models import Signature
from tests import factories
from tests.guard.helpers import human, solution_for, solve

pytestmark = pytest.mark.django_db

REFUSED = "The robot check did not finish. Please wait a moment and send the form again."
SIGNER = {"name": "Ana Quispe", "email": "ana@example.org", "country": "PE", "name_display": "full"}


def sign_url(petition, language="en"):
    return f"/{language}/petitions/{petition.slug}/sign/"


def challenge_url(kind, pk):
    return f"/robot-check/{kind}/{pk}/challenge.json"


def test_a_solved_challenge_is_accepted(client):
    petition = factories.petition()
    response = client.post(sign_url(petition), human(SIGNER, campaign=petition))
    assert response.status_code == 302
    assert Signature.objects.filter(petition=petition).count() == 1


def test_the_widget_is_on_the_form_with_its_challenge_and_a_note_for_no_javascript(client):
    petition = factories.petition()
    page = client.get(petition.get_absolute_url()).content.decode()
    assert f'challenge="{challenge_url("petition", petition.pk)}"' in page
    assert page.count("<altcha-widget") == 2  # the sign form and the comment form
    assert "This form needs JavaScript for its robot check" in page


def test_a_solved_challenge_from_the_page_itself_is_accepted(client):
    petition = factories.petition()
    response = client.get(challenge_url("petition", petition.pk))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    data = human(SIGNER) | {"altcha": solve(response.json())}
    assert client.post(sign_url(petition), data).status_code == 302
    assert Signature.objects.count() == 1


def test_a_replayed_solution_is_refused_with_the_form_error_and_writes_nothing(client, backend):
    petition = factories.petition()
    first = human(SIGNER, campaign=petition)
    assert client.post(sign_url(petition), first).status_code == 302
    again = {**first, "email": "luis@example.org"}
    response = client.post(sign_url(petition), again)
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert Signature.objects.count() == 1
    assert SpentChallenge.objects.exists() is (backend == "database")


def test_a_missing_solution_is_a_form_error_in_the_visitors_language(client):
    petition = factories.petition()
    response = client.post(sign_url(petition, "es"), human(SIGNER))
    assert response.status_code == 400
    page = response.content.decode()
    assert "La comprobación contra robots no terminó." in page
    assert 'href="#id_altcha"' in page  # the list of what to fix leads to the check
    assert not Signature.objects.exists()


def test_an_expired_challenge_is_refused(client, settings):
    petition = factories.petition()
    with time_machine.travel(time.time() - settings.ALTCHA_EXPIRY_SECONDS - 5, tick=False):
        stale = solution_for(petition)
    response = client.post(sign_url(petition), human(SIGNER) | {"altcha": stale})
    assert response.status_code == 400 and REFUSED in response.content.decode()
    assert not Signature.objects.exists()


def test_another_campaigns_challenge_is_refused(client):
    petition, other = factories.petition(), factories.petition()
    data = human(SIGNER) | {"altcha": solution_for(other)}
    response = client.post(sign_url(petition), data)
    assert response.status_code == 400 and REFUSED in response.content.decode()
    assert not Signature.objects.exists()


def test_an_urgent_actions_challenge_does_not_open_a_petition_with_the_same_id(client):
    action = factories.urgent_action()
    petition = factories.petition()
    forged = challenges.issue(action)
    assert forged["parameters"]["data"]["campaign"] == f"action:{action.pk}"
    data = human(SIGNER) | {"altcha": solve(forged)}
    assert client.post(sign_url(petition), data).status_code == 400


@pytest.mark.parametrize(
    "payload", ["", "not base64!", "eyJ9", "e30=", json.dumps({"challenge": 1})]
)
def test_garbage_in_the_field_is_the_same_form_error(client, payload):
    petition = factories.petition()
    response = client.post(sign_url(petition), human(SIGNER) | {"altcha": payload})
    assert response.status_code == 400 and REFUSED in response.content.decode()


def test_a_tampered_solution_is_refused(client):
    petition = factories.petition()
    challenge = challenges.issue(petition)
    challenge["parameters"]["data"]["max"] = 1  # signed: any change breaks the signature
    data = human(SIGNER) | {"altcha": solve(challenge)}
    assert client.post(sign_url(petition), data).status_code == 400


def test_the_comment_form_has_the_robot_check_too(client):
    petition = factories.petition()
    data = {"name": "Luis", "email": "luis@example.org", "text": "Because it matters."}
    url = f"/en/petitions/{petition.slug}/comments/"
    assert client.post(url, human(data)).status_code == 400
    assert client.post(url, human(data, campaign=petition)).status_code == 302
    assert Comment.objects.count() == 1


def test_the_my_data_form_keeps_only_the_quiet_checks(client):
    page = client.get("/en/my-data/").content.decode()
    assert "<altcha-widget" not in page
    response = client.post("/en/my-data/", human(email="ana@example.org"))
    assert response.status_code == 200 and REFUSED not in response.content.decode()
    assert Message.objects.count() == 1  # the link was sent


def test_surge_raises_the_work_factor_and_it_falls_back_after_the_minute(client, settings):
    settings.ALTCHA_SURGE_PER_MINUTE = 3
    settings.ALTCHA_SURGE_FACTOR = 10
    petition = factories.petition(altcha_max_number=2000)
    quiet = factories.petition(altcha_max_number=2000)
    url = challenge_url("petition", petition.pk)
    start = int(time.time()) // 60 * 60 + 5
    with time_machine.travel(start, tick=False) as clock:
        tops = [client.get(url).json()["parameters"]["data"]["max"] for _ in range(5)]
        assert tops == [2000, 2000, 2000, 20000, 20000]
        # Another campaign is not slowed by this one's surge.
        assert (
            client.get(challenge_url("petition", quiet.pk)).json()["parameters"]["data"]["max"]
            == 2000
        )
        clock.shift(60)
        assert client.get(url).json()["parameters"]["data"]["max"] == 2000


def test_a_surge_challenge_still_solves_and_signs(client, settings):
    settings.ALTCHA_SURGE_PER_MINUTE = 1
    petition = factories.petition(altcha_max_number=100)
    url = challenge_url("petition", petition.pk)
    client.get(url)
    surged = client.get(url).json()
    assert surged["parameters"]["data"]["max"] == 100 * settings.ALTCHA_SURGE_FACTOR
    data = human(SIGNER) | {"altcha": solve(surged)}
    assert client.post(sign_url(petition), data).status_code == 302


def test_the_challenge_endpoint_is_rate_limited_per_address(client, settings, mid_minute):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "challenge": (2, 60)}
    petition = factories.petition()
    url = challenge_url("petition", petition.pk)
    assert [client.get(url, REMOTE_ADDR="203.0.113.1").status_code for _ in range(2)] == [200] * 2
    refused = client.get(url, REMOTE_ADDR="203.0.113.1")
    assert refused.status_code == 429 and refused["Retry-After"] == "45"
    assert "no-store" in refused["Cache-Control"]
    assert client.get(url, REMOTE_ADDR="203.0.113.2").status_code == 200


def test_no_challenge_for_a_draft_or_an_unknown_campaign(client):
    draft = factories.petition(published_at=None)
    assert client.get(challenge_url("petition", draft.pk)).status_code == 404
    assert client.get(challenge_url("action", 999999)).status_code == 404
    assert client.get("/robot-check/comment/1/challenge.json").status_code == 404


def test_asking_for_unknown_campaigns_counts_against_the_limit(client, settings, mid_minute):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "challenge": (2, 60)}
    petition = factories.petition()
    unknown = [
        client.get(challenge_url("petition", petition.pk + n), REMOTE_ADDR="203.0.113.9")
        for n in (1000, 1001)
    ]
    assert [r.status_code for r in unknown] == [404, 404]
    refused = client.get(challenge_url("petition", petition.pk), REMOTE_ADDR="203.0.113.9")
    assert refused.status_code == 429


def test_an_urgent_actions_report_needs_its_own_robot_check(client):
    action = factories.urgent_action()
    url = f"/en/actions/ua-{action.serial}-{action.year}/report/"
    data = {"country": "PE", "letters": "2"}
    assert client.post(url, human(data, campaign=factories.petition())).status_code == 400
    assert client.post(url, human(data, campaign=action)).status_code == 302
    assert client.get(challenge_url("action", action.pk)).status_code == 200


def test_spent_challenges_are_forgotten_once_expired(client, settings):
    petition = factories.petition()
    client.post(sign_url(petition), human(SIGNER, campaign=petition))
    assert SpentChallenge.objects.count() == 1
    assert challenges.forget_spent() == 0
    later = time.time() + settings.ALTCHA_EXPIRY_SECONDS + 1
    assert challenges.forget_spent(later) == 1
    assert not SpentChallenge.objects.exists()
