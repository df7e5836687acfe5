from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from outcry.actions import services
from outcry.actions.models import LetterBatch, SentLetter, UrgentAction
from outcry.outbox.models import Message
from outcry.outbox.services import deliver_due
from tests import factories

pytestmark = pytest.mark.django_db


def drafts_for(action, name="Rosa Quispe"):
    return [
        services.Draft(
            target=t,
            subject="Alto a la fuerza",
            body=services.compose(target=t, language="es", body="Le pido que actúe.", name=name),
        )
        for t in action.ordered_targets()
    ]


def request(action, email="rosa@example.org"):
    return services.request_letters(
        action=action,
        name="Rosa Quispe",
        email=email,
        country="PE",
        language="es",
        drafts=drafts_for(action),
    )


def token_of(message):
    return message.context["confirm_url"].rstrip("/").rsplit("/", 1)[-1]


def test_number_reads_like_the_case_number():
    assert factories.urgent_action(serial=105, year=2022).number == "UA 105.22"


def test_letter_opens_with_the_salutation_in_its_language_and_closes_with_the_name():
    action = factories.urgent_action()
    target = action.ordered_targets()[0]
    text = services.compose(target=target, language="es", body="Le pido.", name="Rosa")
    assert text == "Señora Presidenta:\n\nLe pido.\n\nRosa\n"
    # No salutation in English: fall back to the target's own language.
    assert services.compose(target=target, language="en", body="x", name="R").startswith(
        "Señora Presidenta:"
    )


def test_nothing_reaches_a_target_before_the_activist_confirms():
    action = factories.urgent_action()
    request(action)
    assert list(Message.objects.values_list("to", flat=True)) == ["rosa@example.org"]
    assert SentLetter.objects.get().message is None


def test_confirming_queues_one_letter_per_target_replying_to_the_activist():
    other = factories.target(name="Oswaldo de Rivero", emails=["embassy@peru.example"])
    action = factories.urgent_action(copies=[other])
    request(action)
    token = token_of(Message.objects.get())
    batch = services.confirm_letters(raw_token=token)
    # Sorted here: the database cannot order encrypted addresses.
    letters = sorted(Message.objects.filter(template="actions/email/letter"), key=lambda m: m.to)
    assert [(m.to, m.reply_to) for m in letters] == [
        ("despacho@presidencia.example", "rosa@example.org"),
        ("embassy@peru.example", "rosa@example.org"),
    ]
    assert letters[0].context["body"].endswith("Rosa Quispe\n")
    assert batch.confirmed_at is not None
    assert services.confirm_letters(raw_token=token) is None  # single use


def test_letters_to_one_target_are_spread_under_the_hourly_cap(settings):
    settings.LETTERS_PER_TARGET_PER_HOUR = 2
    action = factories.urgent_action()
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        for i in range(3):
            request(action, email=f"a{i}@example.org")
        assert deliver_due() == 3  # the confirmation e-mails to the activists
        for message in Message.objects.filter(template="actions/email/confirm_letters"):
            services.confirm_letters(raw_token=token_of(message))
    due = sorted(
        Message.objects.filter(template="actions/email/letter").values_list(
            "next_attempt_at", flat=True
        )
    )
    assert [round((d - now).total_seconds()) for d in due] == [0, 1800, 3600]
    with time_machine.travel(now, tick=False):
        assert deliver_due() == 1  # settings.LOCAL_MAIL: delivered to the local mailbox
    with time_machine.travel(now + timedelta(minutes=31), tick=False):
        assert deliver_due() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"status": UrgentAction.Status.CLOSED},
        {"deadline": timezone.localdate() - timedelta(days=1)},
    ],
)
def test_closed_or_past_deadline_case_sends_no_letters(change):
    action = factories.urgent_action()
    request(action)
    UrgentAction.objects.filter(pk=action.pk).update(**change)
    action.refresh_from_db()
    with pytest.raises(services.NotTakingLetters):
        request(action, email="late@example.org")
    with pytest.raises(services.NotTakingLetters):
        services.confirm_letters(raw_token=token_of(Message.objects.get()))
    assert not Message.objects.filter(template="actions/email/letter").exists()
    assert LetterBatch.objects.count() == 1


def test_confirmation_link_expires():
    action = factories.urgent_action()
    request(action)
    token = token_of(Message.objects.get())
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert services.confirm_letters(raw_token=token) is None


def test_chain_runs_from_the_first_action_through_every_follow_up():
    first = factories.urgent_action(serial=154)
    second = factories.urgent_action(serial=105, follows=first)
    third = factories.urgent_action(serial=12, year=2023, follows=second)
    assert second.chain() == [first, second, third]
    assert first.chain() == [first, second, third]
