"""The do-not-contact list, as the outbox sees it.

Someone who erased their data gets no more mail from Outcry, except mail they
ask for themselves afterwards: a confirmation link when they sign or write
again, or a fresh "my data" link. Confirming a new signature or new letters
takes them off the list (outcry.privacy.services.lift_do_not_contact): they
came back, and agreed to what they ticked then.
"""

from outcry.privacy.digest import email_digest
from outcry.privacy.models import DoNotContact

# Templates of mail that a person's own request on the site causes.
ASKED_FOR = frozenset(
    {
        "signing/email/confirm",
        "actions/email/confirm_letters",
        "privacy/email/link",
    }
)


def may_mail(*, to: str, template: str) -> bool:
    if template in ASKED_FOR:
        return True
    return not DoNotContact.objects.filter(email_digest=email_digest(to)).exists()
