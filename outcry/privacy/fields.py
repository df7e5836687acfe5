"""Model fields whose values are encrypted at rest with the keys in ENCRYPTION_KEYS.

A value is stored as a Fernet token (AES-128-CBC with HMAC-SHA256, random IV):
the database, its backups and its replicas hold no readable name or address.
MultiFernet encrypts with the first key and decrypts with any, which is what
lets keys rotate (`outcry rotate-keys`).

Two consequences shape how these fields are used:
- The same value never gives the same token, so the database cannot compare
  them: any look-up but `isnull` raises at once rather than silently matching
  nothing. Equality look-ups go through a keyed digest (outcry.privacy.digest)
  kept in its own column.
- Ordering or grouping by such a column is meaningless; nothing does.

None and "" are stored as they are: an empty postcode tells nothing, and not
encrypting it saves the export a decryption per row.
"""

import base64
import binascii
import json
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.hmac import HMAC
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    """The MultiFernet of the current keys (cached per key list, so tests may change them)."""
    return _fernet(tuple(settings.ENCRYPTION_KEYS))


class UndecryptableError(ImproperlyConfigured):
    """A stored value none of ENCRYPTION_KEYS opens: a key is missing or wrong."""


class EncryptedTextField(models.TextField):
    """Text encrypted on save and decrypted on load."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return fernet().encrypt(value.encode()).decode()

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return self.decrypt(value)

    def decrypt(self, token: str) -> str:
        try:
            return fernet().decrypt(token.encode()).decode()
        except InvalidToken:
            # Loud on purpose: reading on with a wrong key would show garbage or lose data.
            raise UndecryptableError(
                f"{self.model.__name__}.{self.name} holds a value that none of "
                "ENCRYPTION_KEYS decrypts: was a key dropped before `outcry rotate-keys` "
                "finished, or is ENCRYPTION_KEYS another install's?"
            ) from None

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            raise FieldError(
                f"{self.model.__name__}.{self.name} is encrypted: the database cannot "
                f"compare it ({lookup_name!r}); look it up by its digest column instead"
            )
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name):
        self.get_lookup(lookup_name)  # raises: no transform of an encrypted value works
        return super().get_transform(lookup_name)


class ColumnDecryptor:
    """Decrypts a column's tokens a chunk at a time, for an export of a million rows.

    MultiFernet spends most of a token's time setting up an AES context and an
    HMAC key. This reads tokens of the newest key exactly as Fernet does
    (version byte, then the HMAC-SHA256 of the token checked in constant time,
    then AES-CBC and its padding) with both set up once per column: the HMAC is
    a copy of one keyed in advance (cryptography's, as Fernet's: the standard
    library's costs half as much again, in Python around the copy), and one
    AES-CBC context deciphers every token of a chunk in one call.
    CBC deciphers a block with the ciphertext block before it, so feeding the
    context a token's IV and then its ciphertext deciphers that ciphertext
    under that IV, whatever came before; the IV's own block is dropped. The
    IVs and ciphertexts of a chunk's tokens, each verified first, are so
    deciphered one after another in a single call: a call per token cost more
    than the AES itself. A token it cannot read that way (an older key's
    during a rotation, or a bad one) goes to the field's own `decrypt`:
    MultiFernet, and its loud error. One per export: it is not thread-safe.
    """

    URLSAFE = bytes.maketrans(b"-_", b"+/")

    def __init__(self, field: EncryptedTextField):
        key = base64.urlsafe_b64decode(settings.ENCRYPTION_KEYS[0])
        self.hmac = HMAC(key[:16], hashes.SHA256())
        self.cbc = Cipher(algorithms.AES(key[16:]), modes.CBC(bytes(16))).decryptor()
        self.fallback = field.decrypt

    def __call__(self, token: str | None) -> str | None:
        return self.column([token])[0]

    def column(self, tokens: list[str | None]) -> list[str | None]:
        """The plain text of each of tokens (None and "" as they are), in their order."""
        plain = list(tokens)
        verified, bodies = [], []
        for i, token in enumerate(tokens):
            if token is None or token == "":
                continue
            if (body := self.verified(token)) is None:
                plain[i] = self.fallback(token)
            else:
                verified.append(i)
                bodies.append(body)
        deciphered = self.cbc.update(b"".join(bodies))
        end = 0
        for i, body in zip(verified, bodies, strict=True):
            start, end = end + 16, end + len(body)  # the IV's block dropped
            pad = deciphered[end - 1]
            if not 1 <= pad <= 16 or deciphered[end - pad : end] != bytes((pad,)) * pad:
                plain[i] = self.fallback(tokens[i])
            else:
                plain[i] = deciphered[start : end - pad].decode()
        return plain

    def verified(self, token: str) -> bytes | None:
        """The IV and ciphertext of a token of the newest key whose HMAC holds, else None."""
        try:
            data = binascii.a2b_base64(token.encode().translate(self.URLSAFE))
        except (ValueError, binascii.Error):
            return None
        # version 0x80, timestamp (8 bytes), IV (16), ciphertext (16 × n, n >= 1), HMAC (32)
        if len(data) < 73 or data[0] != 0x80 or (len(data) - 57) % 16:
            return None
        mac = self.hmac.copy()
        mac.update(data[:-32])
        try:
            mac.verify(data[-32:])  # in constant time
        except InvalidSignature:
            return None
        return data[9:-32]


def as_stored(field_name: str) -> models.ExpressionWrapper:
    """A column as the database driver returns it, without the field's conversion on
    load: an encrypted column's token, for a ColumnDecryptor to read in bulk."""
    return models.ExpressionWrapper(models.F(field_name), output_field=models.Field())


class EncryptedJSONField(EncryptedTextField):
    """A JSON value (dict, list, text, numbers) encrypted as one token."""

    def get_prep_value(self, value):
        if value is None:
            return None
        return super().get_prep_value(json.dumps(value, cls=DjangoJSONEncoder))

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return json.loads(self.decrypt(value))

    def to_python(self, value):
        return value

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), cls=DjangoJSONEncoder)


def encrypted_columns():
    """(model, [field, ...]) for every installed model with encrypted fields."""
    from django.apps import apps

    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields and not model._meta.proxy:
            yield model, fields


def _rows(connection, table: str, columns: list[str], batch: int, pk: str = "id"):
    """(pk, {column: raw value}) of a table's rows in primary-key order, one batch at a time.

    `pk` names the integer primary-key column: `id` but for a table keyed by
    another row (a user's two-factor settings by `user_id`).
    """
    qn = connection.ops.quote_name
    select = f"SELECT {qn(pk)}, {', '.join(qn(c) for c in columns)} FROM {qn(table)}"  # noqa: S608
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"{select} WHERE {qn(pk)} > %s ORDER BY {qn(pk)} LIMIT %s", [last, batch]
            )
            rows = cursor.fetchall()
        if not rows:
            return
        yield [(row[0], dict(zip(columns, row[1:], strict=True))) for row in rows]
        last = rows[-1][0]


def _update(
    connection, table: str, changes: list[tuple[int, dict]], *, unless_changed=(), pk: str = "id"
):
    """UPDATE rows by pk; a column in `unless_changed` only where it still holds the old value."""
    qn = connection.ops.quote_name
    for row_pk, (new, old) in changes:
        sets = ", ".join(f"{qn(c)} = %s" for c in new)
        guards = "".join(f" AND {qn(c)} = %s" for c in new if c in unless_changed)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {qn(table)} SET {sets} WHERE {qn(pk)} = %s{guards}",  # noqa: S608
                [*new.values(), row_pk, *(old[c] for c in new if c in unless_changed)],
            )


def encrypt_existing_rows(
    schema_editor,
    table: str,
    columns: list[str],
    *,
    derive=None,
    read=(),
    batch: int = 1000,
    pk: str = "id",
) -> None:
    """For data migrations: encrypt plaintext columns of existing rows, in batches.

    `derive(values)` returns more columns to set from the plaintext (the digests);
    `read` names plaintext columns it needs that are not encrypted.
    """
    connection, f = schema_editor.connection, fernet()
    for rows in _rows(connection, table, [*columns, *read], batch, pk):
        changes = []
        for row_pk, values in rows:
            new = {
                c: values[c]
                if values[c] in (None, "")
                else f.encrypt(str(values[c]).encode()).decode()
                for c in columns
            }
            if derive:
                new.update(derive(values))
            if new:
                changes.append((row_pk, (new, values)))
        _update(connection, table, changes, pk=pk)


def rotate_rows(
    connection, table: str, columns: list[str], *, batch: int = 500, pk: str = "id"
) -> int:
    """Re-encrypt a table's encrypted columns with the newest key; return rows changed.

    Each batch is its own transaction, so the site keeps running and an
    interrupted run resumes where it stopped (values already under the newest
    key are left alone). A value changed meanwhile by the site is not
    overwritten: each UPDATE applies only where the column still holds the
    token that was read.
    """
    from django.db import transaction

    newest, every = Fernet(settings.ENCRYPTION_KEYS[0]), fernet()
    changed = 0
    for rows in _rows(connection, table, columns, batch, pk):
        changes = []
        for row_pk, values in rows:
            new = {}
            for column, token in values.items():
                if token in (None, ""):
                    continue
                try:
                    newest.decrypt(token.encode())
                    continue  # already under the newest key
                except InvalidToken:
                    pass
                try:
                    new[column] = every.rotate(token.encode()).decode()
                except InvalidToken:
                    raise UndecryptableError(
                        f"{table}.{column} ({pk} {row_pk}) holds a value that none of "
                        "ENCRYPTION_KEYS decrypts"
                    ) from None
            if new:
                changes.append((row_pk, (new, values)))
        with transaction.atomic(using=connection.alias):
            _update(connection, table, changes, unless_changed=columns, pk=pk)
        changed += len(changes)
    return changed
