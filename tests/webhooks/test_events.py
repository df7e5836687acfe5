"""Each event is written with its cause, once per subscribed endpoint, saying only what it must."""

import re

import pytest
from django.db import transaction

from outcry.actions import services as actions
from outcry.campaigns import authoring
from outcry.outbox.models import Message
from outcry.outbox.services import deliver_due
from outcry.signing.models import Signature
from outcry.signing.services import confirm
from outcry.webhooks.models import Delivery, Endpoint, Event
from tests import factories
from tests.actions.test_letters import request, token_of
from tests.actions.test_reports import NOTHING
from tests.outbox.builders import signed_up

pytestmark = pytest.mark.django_db


def subscribe(org, *events, url="https://crm.example.org/outcry", active=True):
    return Endpoint.objects.create(organisation=org, url=url, events=list(events), active=active)


def confirm_signature(petition, **kwargs):
    message = signed_up(petition=petition, **kwargs)
    return confirm(raw_token=re.search(r"/confirm/([^/]+)/", message.context["confirm_url"])[1])


def test_event_goes_to_each_subscribed_active_endpoint_of_the_organisation_only():
    org, other = factories.organisation(), factories.organisation()
    wanted = subscribe(org, Event.SIGNATURE_CONFIRMED)
    also = subscribe(
        org, Event.SIGNATURE_CONFIRMED, Event.CAMPAIGN_CLOSED, url="https://b.example/"
    )
    subscribe(org, Event.CAMPAIGN_CLOSED, url="https://c.example/")
    subscribe(org, Event.SIGNATURE_CONFIRMED, url="https://d.example/", active=False)
    subscribe(other, Event.SIGNATURE_CONFIRMED, url="https://e.example/")

    confirm_signature(factories.petition(org=org))

    assert sorted(Delivery.objects.values_list("endpoint", flat=True)) == [wanted.pk, also.pk]
    assert len({d.key for d in Delivery.objects.all()}) == 2, "endpoints share a key"


def test_event_is_rolled_back_with_its_cause():
    org = factories.organisation()
    subscribe(org, Event.SIGNATURE_CONFIRMED)
    petition = factories.petition(org=org)
    message = signed_up(petition=petition)
    token = re.search(r"/confirm/([^/]+)/", message.context["confirm_url"])[1]

    with pytest.raises(RuntimeError), transaction.atomic():
        confirm(raw_token=token)
        raise RuntimeError("the request failed after confirming")

    assert not Delivery.objects.exists()
    assert petition.signatures.get().confirmed_at is None


def test_fraudulent_signature_confirms_but_sends_no_event():
    org = factories.organisation()
    subscribe(org, Event.SIGNATURE_CONFIRMED)
    message = signed_up(petition=factories.petition(org=org), ip_listed="block")
    signature = confirm(
        raw_token=re.search(r"/confirm/([^/]+)/", message.context["confirm_url"])[1]
    )

    assert signature.state == Signature.State.FRAUDULENT and signature.confirmed_at
    assert not Delivery.objects.exists()


def test_action_report_event_carries_counts_but_not_the_activists_address():
    action = factories.urgent_action()
    subscribe(action.organisation, Event.ACTION_REPORTED)
    data = {**NOTHING, "letters": 2, "calls": 1, "country": "ES", "email": "rosa@example.org"}

    report = actions.save_report(
        action=action, data=data, targets=action.ordered_targets(), language="es"
    )
    actions.save_report(
        action=action, data={**data, "calls": 3}, targets=[], language="es", report=report
    )

    first, second = Delivery.objects.order_by("id")
    assert first.payload["campaign"] == {
        "type": "urgent_action",
        "id": action.pk,
        "number": action.number,
        "headline": action.headline,
        "url": f"http://127.0.0.1:8000/en/actions/ua-{action.serial}-{action.year}/",
    }
    assert first.payload["report"]["actions"]["letters"] == 2
    assert first.payload["report"]["amended"] is False
    assert first.payload["report"]["targets"] == [t.pk for t in action.ordered_targets()]
    assert (second.payload["report"]["amended"], second.payload["report"]["actions"]["calls"]) == (
        True,
        3,
    )
    assert "rosa" not in str(first.payload) + str(second.payload)


def test_letter_event_is_written_when_the_letter_is_sent_not_when_it_is_queued():
    action = factories.urgent_action()
    subscribe(action.organisation, Event.LETTER_SENT)
    batch = request(action)
    deliver_due()  # the confirmation e-mail to the activist: no letter yet
    actions.confirm_letters(
        raw_token=token_of(Message.objects.get(template="actions/email/confirm_letters"))
    )
    assert not Delivery.objects.exists(), "announced before it was sent"

    deliver_due()

    (delivery,) = Delivery.objects.all()
    letter = batch.letters.get()
    assert delivery.event == "letter.sent"
    assert delivery.payload["letter"]["id"] == letter.pk
    assert delivery.payload["letter"]["target"] == {"id": letter.target_id, "name": "Dina Boluarte"}
    assert "Rosa" not in str(delivery.payload) and "rosa@" not in str(delivery.payload)


def test_closing_a_petition_sends_one_event_however_often_it_is_closed():
    petition = factories.petition()
    subscribe(petition.organisation, Event.CAMPAIGN_CLOSED)
    user = factories.user(org=petition.organisation)

    authoring.close_petition(petition=petition, user=user)
    authoring.close_petition(petition=petition, user=user)

    (delivery,) = Delivery.objects.all()
    assert delivery.payload["campaign"]["slug"] == petition.slug
    assert delivery.payload["closed"] == {"closed_at": petition.closed_at.isoformat()}


def test_closing_an_urgent_action_tells_its_outcome_once():
    action = factories.urgent_action()
    subscribe(action.organisation, Event.CAMPAIGN_CLOSED)
    user = factories.user(org=action.organisation)

    authoring.close_urgent_action(action=action, outcome="Released on 3 May", user=user)
    authoring.close_urgent_action(action=action, outcome="Released on 3 May 2023", user=user)

    (delivery,) = Delivery.objects.all()
    assert delivery.payload["closed"]["outcome"] == "Released on 3 May"
