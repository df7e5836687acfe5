"""A real SMTP server for outbox tests: aiosmtpd on 127.0.0.1, on a free port."""

import email
import socket
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


@dataclass
class Envelope:
    """What the server accepted: the SMTP envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class Handler:
    """Accepts everything, unless a test sets a reply such as '550 ...' or '451 ...'.

    `mail_reply`, `rcpt_reply` and `data_reply` answer every MAIL FROM, RCPT TO or
    DATA; `refused` maps a recipient address to the reply its RCPT TO gets.
    """

    def __init__(self, received: list[Envelope]):
        self.received = received
        self.mail_reply: str | None = None
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None
        self.refused: dict[str, str] = {}
        self.on_data = None  # a callable run as each message arrives, if set

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply or address in self.refused:
            return self.rcpt_reply or self.refused[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(Envelope(envelope.mail_from, list(envelope.rcpt_tos), message))
        if self.on_data:
            self.on_data(message)
        return "250 Message accepted for delivery"


class MailServer:
    """An SMTP server that can be stopped and started again on the same port."""

    def __init__(self, port: int, **smtp_parameters):
        self.port = port
        self.received: list[Envelope] = []
        self.handler = Handler(self.received)
        self.smtp_parameters = smtp_parameters
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, **self.smtp_parameters
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def message_ids(self) -> list[str]:
        return [str(envelope.message["Message-ID"]) for envelope in self.received]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_settings(settings):
    """Point Django's SMTP settings (as EMAIL_URL would) at a free local port."""
    # Django's test set-up swaps in the in-memory backend; these tests want the wire.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.LOCAL_MAIL = False
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return settings


@pytest.fixture
def smtp_down(smtp_settings):
    """A server on the configured port that is not running yet: nothing listens."""
    server = MailServer(smtp_settings.EMAIL_PORT)
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_down):
    """A running SMTP server; `smtp.received` lists the envelopes it accepted."""
    smtp_down.start()
    return smtp_down


@pytest.fixture
def smtp_with_auth(smtp_settings):
    """A server that refuses every login with 535, as after a password change."""

    def refuse(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=False, handled=False)

    smtp_settings.EMAIL_HOST_USER = "outcry"
    smtp_settings.EMAIL_HOST_PASSWORD = "old-password"
    server = MailServer(smtp_settings.EMAIL_PORT, auth_require_tls=False, authenticator=refuse)
    server.start()
    yield server
    server.stop()
