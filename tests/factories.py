"""Small builders for tests: each makes one thing with sensible defaults."""

import itertools
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from outcry.campaigns.models import Membership, Organisation, Petition, Role, Target
from outcry.outbox.models import Message
from outcry.privacy.digest import domain_digest, email_digest, ip_digest
from outcry.privacy.models import ConsentLog
from outcry.privacy.services import record_consents, signing_consents
from outcry.signing.models import CountDelta, NameDisplay, Signature

_seq = itertools.count(1)


def organisation(**kwargs) -> Organisation:
    n = next(_seq)
    return Organisation.objects.create(**{"name": f"Org {n}", "slug": f"org-{n}", **kwargs})


def user(*, org=None, role=Role.OWNER, **kwargs):
    n = next(_seq)
    u = get_user_model().objects.create_user(
        username=kwargs.pop("username", f"user{n}"),
        password="pw-for-tests-1",
        is_staff=True,
        **kwargs,
    )
    if org is not None:
        Membership.objects.create(organisation=org, user=u, role=role)
    return u


def target(*, org=None, **kwargs) -> Target:
    return Target.objects.create(
        organisation=org or organisation(),
        **{"name": "Ollanta Humala", "role": "President of Peru", **kwargs},
    )


def petition(*, org=None, **kwargs) -> Petition:
    org = org or organisation()
    n = next(_seq)
    defaults = {
        "slug": f"petition-{n}",
        "title": f"Petition {n}",
        "goal": "Stop the use of lethal force on protesters",
        "body": "The **case** for change.",
        "letter": "Dear President,\n\nPlease act.\n\nSincerely,",
        "published_at": timezone.now() - timedelta(days=1),
    }
    defaults.update(kwargs)
    if "target" not in defaults:
        defaults["target"] = target(org=org)
    return Petition.objects.create(organisation=org, **defaults)


def signature(*, petition, confirmed=True, **kwargs) -> Signature:
    n = next(_seq)
    email = kwargs.pop("email", f"signer{n}@example.org")
    now = timezone.now()
    sig = Signature.objects.create(
        petition=petition,
        email=email,
        email_digest=email_digest(email),
        domain_digest=domain_digest(email),
        ip_digest=ip_digest(kwargs.get("ip_hash", "")),
        **{
            "name": f"Signer Number{n}",
            "country": "PE",
            "name_display": NameDisplay.FULL,
            "language": "en",
            "state": Signature.State.CONFIRMED if confirmed else Signature.State.PENDING,
            "confirmed_at": now if confirmed else None,
            **kwargs,
        },
    )
    if confirmed:
        CountDelta.objects.create(petition=petition, delta=1)
    # The consents the sign form would have logged for these choices.
    record_consents(
        email=email,
        record=ConsentLog.Record.SIGNATURE,
        record_id=sig.pk,
        kinds=signing_consents(wants_updates=sig.wants_updates, name_display=sig.name_display),
        language=sig.language,
        via=ConsentLog.Via.FORM,
    )
    return sig


def urgent_action(*, org=None, targets=None, copies=None, **kwargs):
    """A published, open case with a Spanish and an English sample letter."""
    from outcry.actions.models import CaseTarget, SampleLetter, UrgentAction

    org = org or organisation()
    n = next(_seq)
    fields = {
        "serial": 100 + n,
        "year": 2022,
        "headline": "18 killed during protests",
        "country": "PE",
        "summary": "Security forces killed protesters.",
        "people_at_risk": "Protesters in Peru",
        "pronouns": "they/them",
        "published_at": timezone.now() - timedelta(days=1),
        "deadline": timezone.localdate() + timedelta(days=30),
        "preferred_language": "es",
        **kwargs,
    }
    action = UrgentAction.objects.create(organisation=org, **fields)
    if targets is None:
        targets = [
            target(
                org=org,
                name="Dina Boluarte",
                salutations={"es": "Señora Presidenta:"},
                emails=["despacho@presidencia.example"],
                language="es",
                postal_address="Jr. De la Unión S/N\nLima 15001",
            )
        ]
    for position, t in enumerate(targets):
        CaseTarget.objects.create(action=action, target=t, position=position)
    for t in copies or []:
        CaseTarget.objects.create(action=action, target=t, group=CaseTarget.Group.COPY)
    SampleLetter.objects.create(
        action=action, language="es", subject="Alto a la fuerza", body="Le pido que actúe."
    )
    SampleLetter.objects.create(
        action=action, language="en", subject="Stop the force", body="I ask you to act."
    )
    return action


# Addresses are encrypted at rest: the database finds a signature by the digest of
# its address, and a message only by reading each one.


def signature_of(email: str, **filters) -> Signature:
    return Signature.objects.get(email_digest=email_digest(email), **filters)


def messages_to(email: str) -> list[Message]:
    """The messages to this address, oldest first."""
    return list(Message.objects.filter(to_digest=email_digest(email)).order_by("id"))
