"""Invariants 2 and 6 under database faults: a sign POST that meets a locked,
unreachable or killed database answers 503 with Retry-After in the visitor's
language, leaves no signature and no e-mail behind, and the same POST sent
again signs.

Each database run has its own faults (collected, never skipped): SQLite is
locked or its file unreachable; PostgreSQL has the request's backend killed
between the signature insert and the outbox insert, or refuses connections.
"""

import sqlite3
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from outcry.campaigns.errors import RETRY_AFTER
from outcry.outbox.models import Message
from outcry.signing import services
from outcry.signing.models import Signature
from tests import factories
from tests.faults.forms import sign_data
from tests.outbox.conftest import free_port

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def reconnected(**changes):
    """Let the request's connection reopen with other settings, then put them back."""
    saved = {key: connection.settings_dict[key] for key in changes}
    connection.close()
    connection.settings_dict.update(changes)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


@contextmanager
def sqlite_locked(monkeypatch, tmp_path):
    """Another process holds SQLite's write lock; the request waits 0.2 s, not 20."""
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        options = {**connection.settings_dict["OPTIONS"], "timeout": 0.2}
        with reconnected(OPTIONS=options):
            yield lambda: holder.in_transaction
    finally:
        holder.rollback()
        holder.close()


@contextmanager
def sqlite_away(monkeypatch, tmp_path):
    """The database file cannot be opened (a volume gone, say)."""
    with reconnected(NAME=str(tmp_path / "gone" / "outcry.sqlite3")):
        yield lambda: True


@contextmanager
def postgres_away(monkeypatch, tmp_path):
    """Nothing listens where the database should be (restarting, failing over)."""
    with reconnected(PORT=free_port()):
        yield lambda: True


@contextmanager
def postgres_terminated(monkeypatch, tmp_path):
    """`pg_terminate_backend` from another connection, after the signature's INSERT
    and right before the confirmation e-mail's, in the same transaction."""
    killed = []
    real_enqueue = services.enqueue

    def enqueue(**kwargs):
        if not killed:
            pid = connection.connection.info.backend_pid
            other = connection.copy()
            try:
                with other.cursor() as cursor:
                    # With a timeout it returns once the backend is gone, not just signalled.
                    cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
                    killed.append(cursor.fetchone()[0])
            finally:
                other.close()
        return real_enqueue(**kwargs)

    monkeypatch.setattr(services, "enqueue", enqueue)
    yield lambda: killed == [True]


FAULTS = {
    "sqlite": {"locked": sqlite_locked, "away": sqlite_away},
    "postgresql": {"terminated": postgres_terminated, "away": postgres_away},
}[connection.vendor]


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_sign_during_a_database_fault_answers_503_keeps_nothing_and_a_retry_signs(
    client, fault, monkeypatch, tmp_path, caplog, time_machine
):
    petition = factories.petition()
    with translation.override("es"):
        page_url = reverse("petition", args=[petition.slug])
        sign_url = reverse("sign", args=[petition.slug])
        thanks_url = reverse("thanks", args=[petition.slug])
    data = sign_data(client, page_url, sign_url)
    time_machine.move_to(timezone.now() + timedelta(minutes=1))  # a person takes a while

    with FAULTS[fault](monkeypatch, tmp_path) as happened:
        response = client.post(sign_url, data)
        assert happened(), f"the {fault} fault was not in place during the request"

    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER) == "5"
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert "Inténtelo de nuevo en un momento" in page
    assert "database unavailable during POST" in caplog.text
    assert not Signature.objects.exists()
    assert not Message.objects.exists()

    again = client.post(sign_url, data)

    assert again.status_code == 302
    assert again["Location"] == thanks_url
    signature = Signature.objects.get()
    assert (signature.email, signature.state) == ("rosa.fault@example.org", "pending")
    assert Message.objects.get().to == "rosa.fault@example.org"
