"""The outbox: e-mail queued in the caller's transaction, sent later by `outcry worker`.

Delivery is at-least-once: a row is leased before sending and marked sent after,
so a worker killed between the two leaves a lease that expires and another
worker sends it again. Each message carries a stable Message-ID so a receiving
system can drop such a repeat.

`claim`, `within_lease`, `release`, `record_failure` and `record_sent` work on any
`Queued` model: webhook deliveries (outcry.webhooks) go through the same queue code.
"""

import contextlib
import logging
import smtplib
from collections.abc import Iterator
from datetime import timedelta
from time import monotonic
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from outcry.outbox.models import Message, Queued
from outcry.privacy import links
from outcry.privacy.contact import may_mail
from outcry.privacy.digest import email_digest

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
# Stop sending a batch this long before its lease runs out, so another worker
# never claims a message this one is still about to send.
LEASE_MARGIN = min(timedelta(minutes=1), LEASE / 5)
# With the back-off (1, 2, 4 ... 256 minutes, then every six hours) the last of
# 21 attempts comes about three days after the first: an outage over a long
# weekend delays mail but loses none.
MAX_ATTEMPTS = 21


def enqueue(
    *,
    to: str,
    template: str,
    context: dict,
    language: str,
    headers: dict | None = None,
    reply_to: str = "",
    not_before=None,
) -> Message | None:
    """Queue an e-mail. Call it inside the transaction that causes the e-mail.

    Nothing is queued (None) for an address on the do-not-contact list, unless
    the mail is one its owner asks for (outcry.privacy.contact).
    """
    if not may_mail(to=to, template=template):
        log.info("outbox: %s not queued, the address asked not to be contacted", template)
        return None
    return Message.objects.create(
        to=to,
        to_digest=email_digest(to),
        template=template,
        context=context,
        language=language,
        headers=headers or {},
        reply_to=reply_to,
        next_attempt_at=not_before or timezone.now(),
    )


# Sent exactly as written, without Outcry's footer: a letter in an activist's name.
VERBATIM = frozenset({"actions/email/letter"})


def render(message: Message) -> EmailMessage:
    """Build the e-mail for a queued message, in the recipient's language.

    Every e-mail ends with the link to what Outcry holds for its recipient's
    address: added here, not in each template, so no e-mail can go without it.
    The one exception is an activist's letter to an official, which goes
    exactly as its writer composed it.
    """
    context = {
        **message.context,
        "site_url": settings.SITE_URL,
        "site_name": settings.SITE_NAME,
        "my_data_url": links.url_for(message.to, message.language),
    }
    with translation.override(message.language):
        subject = render_to_string(f"{message.template}_subject.txt", context)
        body = render_to_string(f"{message.template}.txt", context)
        if message.template not in VERBATIM:
            footer = render_to_string("outbox/email/footer.txt", context)
            body = body.rstrip("\n") + "\n\n" + footer
    headers = {"Message-ID": f"<outbox-{message.pk}@{message_id_domain()}>", **message.headers}
    return OutboxEmail(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        reply_to=[message.reply_to] if message.reply_to else None,
        headers=headers,
        attachment_specs=message.context.get("attachments", ()),
    )


# A message keeps a small spec of each attachment in its context, such as
# {"kind": "delivery_packet", "delivery": 7}; the builder named here turns it into
# (filename, bytes, mimetype) when the e-mail is sent, so the row stays small.
ATTACHMENT_BUILDERS = {
    "delivery_packet": "outcry.organiser.packet.delivery_attachment",
}


class OutboxEmail(EmailMessage):
    """An e-mail whose attachments are built only when it is serialised to be sent.

    Showing it in the local mailbox builds none.
    """

    def __init__(self, *args, attachment_specs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.attachment_specs = list(attachment_specs)

    def message(self, *args, **kwargs):
        while self.attachment_specs:
            spec = self.attachment_specs.pop(0)
            self.attach(*import_string(ATTACHMENT_BUILDERS[spec["kind"]])(spec))
        return super().message(*args, **kwargs)


def message_id_domain() -> str:
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"[{host}]" if ":" in host else host  # an IPv6 address goes in brackets


def claim(*, limit: int = 50, now=None, model: type[Queued] = Message) -> list:
    """Lease up to `limit` due rows of `model` (e-mail unless told) to this worker.

    On PostgreSQL, SKIP LOCKED lets several workers claim side by side without
    ever taking the same row; SQLite's IMMEDIATE transactions serialise claims.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            model.objects.select_for_update(skip_locked=True)
            .filter(state=Queued.State.QUEUED, next_attempt_at__lte=now)
            .exclude(leased_until__gt=now)
            .order_by("next_attempt_at", "id")[:limit]
        )
        if due:
            model.objects.filter(pk__in=[m.pk for m in due]).update(leased_until=now + LEASE)
            for item in due:
                item.leased_until = now + LEASE
    return due


def within_lease(items: list) -> Iterator:
    """Yield claimed rows one by one while their lease leaves time to finish each.

    A slow server can use up most of the lease: the rest are handed back rather
    than risk a second worker claiming and sending them too.
    """
    give_up_at = monotonic() + (LEASE - LEASE_MARGIN).total_seconds()
    for i, item in enumerate(items):
        if monotonic() > give_up_at:
            release(items[i:])
            return
        yield item


def release(items: list) -> None:
    """Give back claimed rows untried, so the next claim takes them at once."""
    for item in items:
        type(item).objects.filter(
            pk=item.pk, state=Queued.State.QUEUED, leased_until=item.leased_until
        ).update(leased_until=None)


def is_permanent(exc: Exception) -> bool:
    """A 5xx answer means the server will never take this message: stop trying."""
    if isinstance(exc, smtplib.SMTPSenderRefused):
        # Our own From address refused is the same for every message: a setting to
        # fix, not a reason to drop mail.
        return False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


def record_failure(
    item: Queued,
    error: str,
    *,
    permanent: bool = False,
    now=None,
    **fields,
) -> None:
    """Count a failed try; give up when `permanent` or after MAX_ATTEMPTS.

    `fields` are more columns to save with it, such as a webhook's response code.
    """
    now = now or timezone.now()
    item.attempts += 1
    item.last_error = error[:2000]
    item.leased_until = None
    for name, value in fields.items():
        setattr(item, name, value)
    if permanent or item.attempts >= MAX_ATTEMPTS:
        item.state = Queued.State.FAILED
        log.warning("%s %s failed for good: %s", item._meta.model_name, item.pk, item.last_error)
    else:
        item.next_attempt_at = now + item.backoff()
        log.info("%s %s will be retried: %s", item._meta.model_name, item.pk, item.last_error)
    item.save(
        update_fields=["attempts", "last_error", "leased_until", "state", "next_attempt_at"]
        + list(fields)
    )


# What else happens, in the same transaction, when an e-mail made from one of
# these templates is sent: the function named is called with the message.
ON_SENT = {
    "actions/email/letter": "outcry.actions.services.letter_sent",
}


def record_sent(*items: Queued, now=None, **fields) -> None:
    """Mark rows of one model sent, in one statement; `fields` are more columns to save
    with them."""
    hooks = [
        (import_string(ON_SENT[template]), item)
        for item in items
        if (template := getattr(item, "template", "")) in ON_SENT
    ]
    # Only rows with something to do besides need a transaction around the two.
    with transaction.atomic() if hooks else contextlib.nullcontext():
        type(items[0]).objects.filter(pk__in=[item.pk for item in items]).update(
            state=Queued.State.SENT,
            sent_at=now or timezone.now(),
            attempts=F("attempts") + 1,
            leased_until=None,
            last_error="",
            **fields,
        )
        for hook, item in hooks:
            hook(item, now=now)


def deliver_due(*, limit: int = 50, now=None) -> int:
    """Send what is due; return how many went out. Errors are recorded, never raised."""
    messages = claim(limit=limit, now=now)
    if not messages:
        return 0
    if settings.LOCAL_MAIL:
        # The local mailbox is the outbox itself: being marked sent is delivery. The
        # batch is marked at once: a commit per message would take SQLite's one
        # write lock fifty times from the signers, and flush PostgreSQL's log as often.
        record_sent(*messages, now=now)
        return len(messages)
    sent = 0
    connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
    try:
        connection.open()
    except Exception as exc:
        # The server is away or refused our login: not about these messages, so
        # even a 5xx only defers them.
        for message in messages:
            record_failure(message, describe(exc), now=now)
        return 0
    try:
        for message in within_lease(messages):
            try:
                connection.send_messages([render(message)])
            except Exception as exc:
                record_failure(message, describe(exc), permanent=is_permanent(exc), now=now)
            else:
                record_sent(message, now=now)
                sent += 1
    finally:
        with contextlib.suppress(Exception):  # a failed QUIT changes nothing we recorded
            connection.close()
    return sent
