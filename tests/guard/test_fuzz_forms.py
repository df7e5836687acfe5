"""The public forms under any input: every Unicode script, right-to-left and
invisible characters, emoji, NUL bytes, huge values.

Posted through Django's test client as a person would (honeypot empty, form
shown a minute ago), each answer is either a success that wrote exactly one
row, or a page that says what to fix and wrote nothing: never a 5xx, never
half a write. Each example runs in a savepoint rolled back afterwards, so the
examples are independent; examples are derandomised, so every run tries the
same inputs and a failure always comes back.
"""

import re

import pytest
from django.db import transaction
from django.test import Client
from django_countries import countries
from hypothesis import HealthCheck, event, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from outcry.actions.models import ActionReport
from outcry.campaigns.models import Comment
from outcry.outbox.models import Message
from outcry.signing.models import Signature
from tests import factories
from tests.guard.helpers import human

pytestmark = pytest.mark.django_db

ROWS = {"signature": Signature, "comment": Comment, "report": ActionReport, "message": Message}

fuzzing = hypothesis_settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    # One database, client and settings serve every example: each example's writes
    # are rolled back at its end, so nothing carries over from one to the next.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY = [
    "",
    " \t\r\n ",
    "\x00",
    "Ana\x00María",
    "\u202eSoy inocente\u202c",  # right-to-left override
    "مرحبا بالعالم",
    "שָׁלוֹם עֲלֵיכֶם",
    "Ана Ñandú 李雷 ᏣᎳᎩ",
    "👩🏽‍⚖️✊🏿🕊️" * 30,
    "\ufeff\u200b\u200d",
    "𝕬𝖓𝖆 𝕼𝖚𝖎𝖘𝖕𝖊",
    "ß" * 16,  # upper-cases to twice its length
    "ﬃ" * 12,
    "<script>alert(1)</script>",
    "Robert'); DROP TABLE signing_signature;--",
    "x" * 100_000,
    "ñ" * 200_000,
]
text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=200),
    st.text(st.characters(categories=["Lo", "Mn", "Cf", "So", "Zs", "Cc"]), max_size=80),
)
LONG_ADDRESS = "a" * 64 + "@" + ".".join(["b" * 63] * 3) + ".org"  # valid, and 260 long
email = st.one_of(
    st.emails(),
    st.sampled_from(
        [LONG_ADDRESS, "ana@mailinator.com", "ANA+x@GoogleMail.com", "ana@ñandú.example"]
    ),
)
country = st.sampled_from([code for code, _name in countries])
# Free text a person could type: any script, marks, symbols, emoji, invisible formatting.
words = st.text(st.characters(categories=["L", "M", "N", "P", "So", "Zs", "Cf"]), min_size=1)


def form(valid: dict) -> st.SearchStrategy:
    """A value a person could send in every field, then any text in a few of them:
    both the success path and every refusal get tried, with odd text in each."""

    @st.composite
    def build(draw):
        data = {field: draw(strategy) for field, strategy in valid.items()}
        for field in draw(st.sets(st.sampled_from(sorted(valid)), max_size=3)):
            data[field] = draw(text)
        return data

    return build()


def counts() -> dict[str, int]:
    return {name: model.objects.count() for name, model in ROWS.items()}


def post(path: str, data: dict, *, language: str, campaign, **expected: int) -> None:
    """Post `data`; check the answer and what it wrote, then roll the writes back.

    `expected` is what a success writes, e.g. signature=1, message=1; a refusal
    must write nothing at all.
    """
    client = Client()
    with transaction.atomic():
        before = counts()
        response = client.post(f"/{language}{path}", human(data, campaign=campaign))
        assert response.status_code < 500, response.status_code
        after = counts()
        transaction.set_rollback(True)
    written = {name: after[name] - before[name] for name in ROWS}
    event(f"answered {response.status_code}")  # pytest --hypothesis-show-statistics
    if response.status_code == 302:
        assert written == {name: expected.get(name, 0) for name in ROWS}
    else:
        assert response.status_code == 400, response.status_code
        assert written == dict.fromkeys(ROWS, 0)
        page = response.content.decode()
        event("refused: " + " ".join(sorted(set(re.findall(r'<a href="#(\w+)">', page)))))
        assert 'role="alert"' in page, "a refused form must say what to fix"
        assert f'<html lang="{language}">' in page


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One petition and one urgent action for every example, removed at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        petition = factories.petition()
        action = factories.urgent_action()
        yield {"petition": petition, "action": action}
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _no_limits(settings):
    settings.RATE_LIMITS = {kind: (10**9, 60) for kind in settings.RATE_LIMITS}


@fuzzing
@given(
    data=form(
        {
            "name": words,
            "email": email,
            "country": country,
            "postcode": st.text(max_size=16),
            "name_display": st.sampled_from(["full", "short", "anonymous"]),
            "referrer": st.text(max_size=200),
            "utm_source": st.text(max_size=100),
            "wants_updates": st.sampled_from(["", "on"]),
        }
    ),
    language=st.sampled_from(["en", "es"]),
)
@example(
    data={"name": "Ana", "email": LONG_ADDRESS, "country": "PE", "name_display": "full"},
    language="en",
)
@example(
    data={
        "name": "Ana",
        "email": "a@b.org",
        "country": "PE",
        "name_display": "full",
        "postcode": "ß" * 16,
    },
    language="es",
)
@example(
    data={
        "name": "Ana\x00",
        "email": "a@b.org\x00",
        "country": "PE\x00",
        "name_display": "full",
        "postcode": "\x00",
        "referrer": "\x00",
        "utm_source": "\x00",
    },
    language="en",
)
@example(
    data={
        "name": "\u202eSoy inocente\u202c 👩🏽\u200d⚖️ مرحبا",
        "email": "ana@mailinator.com",
        "country": "PE",
        "name_display": "short",
        "postcode": "ﬃ 1",
        "referrer": "ñ" * 200,
        "utm_source": "שלום",
        "wants_updates": "on",
    },
    language="es",
)
def test_the_sign_form_writes_one_signature_or_says_what_to_fix(world, data, language):
    post(
        f"/petitions/{world['petition'].slug}/sign/",
        data,
        language=language,
        campaign=world["petition"],
        signature=1,
        message=1,  # the confirmation e-mail
    )


@fuzzing
@given(
    data=form({"name": words, "email": email, "text": words}),
    language=st.sampled_from(["en", "es"]),
)
@example(data={"name": "Ana", "email": LONG_ADDRESS, "text": "Sí."}, language="en")
@example(data={"name": "Ana", "email": "a@b.org", "text": "Sí\x00"}, language="es")
@example(
    data={"name": "李雷 ᏣᎳᎩ", "email": "a@ñandú.example", "text": "\u202e✊🏿" * 500},
    language="en",
)
def test_the_comment_form_writes_one_comment_or_says_what_to_fix(world, data, language):
    post(
        f"/petitions/{world['petition'].slug}/comments/",
        data,
        language=language,
        campaign=world["petition"],
        comment=1,
    )


count = st.integers(0, 999).map(str)


@fuzzing
@given(
    data=form(
        {
            "country": country,
            "email": st.one_of(st.just(""), email),
            "wants_updates": st.sampled_from(["", "on"]),
            "letters": st.integers(1, 999).map(str),
            "emails": count,
            "calls": count,
            "other": count,
            "targets": st.sampled_from(["", "the case's target"]),
        }
    ),
    language=st.sampled_from(["en", "es"]),
)
@example(
    data={"country": "PE", "email": LONG_ADDRESS, "letters": "1"},
    language="en",
)
@example(
    data={"country": "PE", "email": "", "letters": "1", "targets": "99999999999999999999"},
    language="en",
)
@example(data={"country": "PE\x00", "email": "\x00", "letters": "1\x00"}, language="es")
def test_the_report_form_writes_one_report_or_says_what_to_fix(world, data, language):
    action = world["action"]
    if data.get("targets") == "the case's target":
        data = {**data, "targets": str(action.targets.get().pk)}
    post(
        f"/actions/ua-{action.serial}-{action.year}/report/",
        data,
        report=1,
        message=1 if data["email"].strip() else 0,  # the link to change the report
        language=language,
        campaign=action,
    )


# What the fuzzing found, each pinned down with the words the visitor reads.


def test_an_address_too_long_for_its_column_is_a_form_error(world):
    response = Client().post(
        f"/en/petitions/{world['petition'].slug}/sign/",
        human(
            name="Ana",
            email=LONG_ADDRESS,
            country="PE",
            name_display="full",
            campaign=world["petition"],
        ),
    )
    assert response.status_code == 400
    assert "Ensure this value has at most 254 characters (it has 260)." in response.content.decode()
    assert not Signature.objects.exists()


def test_a_postcode_that_grows_in_capitals_is_a_form_error_in_spanish(world):
    response = Client().post(
        f"/es/petitions/{world['petition'].slug}/sign/",
        human(
            name="Ana",
            email="a@b.org",
            country="PE",
            name_display="full",
            postcode="ß" * 9,
            campaign=world["petition"],
        ),
    )
    assert response.status_code == 400
    assert "Por favor, escriba un código postal más corto." in response.content.decode()
    assert not Signature.objects.exists()


def test_a_target_id_beyond_any_integer_is_a_form_error(world):
    action = world["action"]
    response = Client().post(
        f"/en/actions/ua-{action.serial}-{action.year}/report/",
        human(country="PE", letters="1", targets="9" * 30, campaign=action),
    )
    assert response.status_code == 400
    assert "Please choose from the people listed." in response.content.decode()
    assert not ActionReport.objects.exists()
