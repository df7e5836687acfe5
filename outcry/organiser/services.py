from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from outcry.campaigns.models import Membership, Organisation
from outcry.organiser.models import AuditEntry, Invitation
from outcry.outbox.services import enqueue
from outcry.signing.services import localised_url
from outcry.signing.tokens import hash_token, new_token

INVITATION_DAYS = 7


def audit(*, organisation: Organisation, user, verb: str, subject: str = "", **detail) -> None:
    AuditEntry.objects.create(
        organisation=organisation,
        user=user,
        verb=verb,
        subject=str(subject)[:200],
        detail=detail,
    )


def invite(*, organisation, email: str, role: str, by, language: str, now=None) -> Invitation:
    now = now or timezone.now()
    raw, digest = new_token()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email,
            role=role,
            invited_by=by,
            token_hash=digest,
            expires_at=now + timedelta(days=INVITATION_DAYS),
        )
        enqueue(
            to=email,
            template="organiser/email/invitation",
            language=language,
            context={
                "organisation": organisation.name,
                "role": role,
                "by": by.get_username(),
                "url": localised_url("accept_invitation", language, raw),
                "days": INVITATION_DAYS,
            },
        )
        audit(organisation=organisation, user=by, verb="invited", subject=email, role=role)
    return invitation


def invitation_for(raw_token: str, *, now=None) -> Invitation | None:
    return (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=hash_token(raw_token), expires_at__gt=now or timezone.now())
        .first()
    )


def accept(*, raw_token: str, user, now=None) -> Membership | None:
    """Make `user` a member as invited. The link works once."""
    now = now or timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(token_hash=hash_token(raw_token), expires_at__gt=now)
            .first()
        )
        if invitation is None:
            return None
        invitation.token_hash = None
        invitation.accepted_at = now
        invitation.save(update_fields=["token_hash", "accepted_at"])
        try:
            with transaction.atomic():
                membership = Membership.objects.create(
                    organisation=invitation.organisation, user=user, role=invitation.role
                )
        except IntegrityError:  # already a member: the invitation does not demote or promote
            membership = Membership.objects.get(organisation=invitation.organisation, user=user)
        audit(
            organisation=invitation.organisation,
            user=user,
            verb="joined",
            subject=user.get_username(),
            role=membership.role,
        )
    return membership


def create_account(*, username: str, password: str, email: str):
    return get_user_model().objects.create_user(username=username, password=password, email=email)
