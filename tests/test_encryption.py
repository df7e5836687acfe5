"""Personal data is encrypted at rest, found by keyed digests, and its keys rotate."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection

from outcry.actions.models import ActionReport
from outcry.campaigns.models import Comment
from outcry.outbox.models import Message
from outcry.privacy.digest import email_digest
from outcry.privacy.fields import ColumnDecryptor, UndecryptableError, _update, fernet
from outcry.signing import services
from outcry.signing.models import Signature
from outcry.signing.provenance import ip_hash
from tests import factories

pytestmark = pytest.mark.django_db

NAME, EMAIL, POSTCODE, IP = (
    "Rosa Quispe",
    "Rosa.Quispe+petition@example.org",
    "LIMA 15",
    "203.0.113.9",
)


def sign(petition, email=EMAIL, **kwargs):
    services.sign(
        **{
            "petition": petition,
            "name": NAME,
            "email": email,
            "country": "PE",
            "postcode": POSTCODE,
            "name_display": "full",
            "wants_updates": False,
            "language": "en",
            "ip_hash": ip_hash(IP),
            **kwargs,
        }
    )


def raw(table: str, column: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM {table} ORDER BY id')  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def raw_dump() -> str:
    """Every text column of the tables holding personal data, as the database stores it."""
    found = []
    for table in ["signing_signature", "outbox_message", "campaigns_comment"]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            found += [str(value) for row in cursor.fetchall() for value in row]
    return "\n".join(found)


def test_personal_data_is_not_readable_in_the_database():
    petition = factories.petition()
    sign(petition)
    Comment.objects.create(
        petition=petition, name=NAME, email=EMAIL, text="Yes.", status="approved"
    )
    dump = raw_dump()
    for secret in [NAME, "Rosa", "Quispe", "example.org", "LIMA", IP, ip_hash(IP)]:
        assert secret not in dump
    # What it holds are Fernet tokens, and the model reads them back.
    assert raw("signing_signature", "name")[0].startswith("gAAAAA")
    signature = Signature.objects.get()
    assert (signature.name, signature.email, signature.postcode, signature.ip_hash) == (
        NAME,
        EMAIL,
        POSTCODE,
        ip_hash(IP),
    )
    assert Message.objects.get().to == EMAIL
    assert Message.objects.get().context["name"] == NAME


def test_empty_and_missing_values_are_stored_as_they_are():
    petition = factories.petition()
    sign(petition, postcode="", ip_hash="")
    assert raw("signing_signature", "postcode") == [""]
    assert Signature.objects.get().postcode == ""
    report = ActionReport.objects.create(
        action=factories.urgent_action(), country="PE", language="en", status="counted"
    )
    assert ActionReport.objects.get(pk=report.pk).email == ""


def test_the_same_value_never_gives_the_same_token():
    petition = factories.petition()
    sign(petition, email="a@example.org")
    sign(petition, email="b@example.org")
    first, second = raw("signing_signature", "name")
    assert first != second


@pytest.mark.parametrize(
    "lookup", [{"email": EMAIL}, {"name__icontains": "rosa"}, {"email__in": [EMAIL]}]
)
def test_filtering_on_an_encrypted_field_fails_loudly(lookup):
    with pytest.raises(FieldError, match="encrypted"):
        list(Signature.objects.filter(**lookup))


def test_isnull_is_the_one_lookup_an_encrypted_field_takes():
    petition = factories.petition()
    sign(petition)
    assert Signature.objects.filter(email__isnull=False).count() == 1


@pytest.mark.parametrize(
    "again",
    ["rosa.quispe@example.org", "ROSA.QUISPE+other@Example.org"],
)
def test_signing_again_is_found_by_digest_and_stores_nothing_new(again):
    petition = factories.petition()
    sign(petition)
    sign(petition, email=again)
    assert Signature.objects.count() == 1
    assert Signature.objects.get().email_digest == email_digest(again)
    assert [m.template for m in Message.objects.order_by("id")] == ["signing/email/confirm"] * 2


def test_gmail_dots_and_tags_are_one_mailbox_under_encryption():
    petition = factories.petition()
    sign(petition, email="maria.lopez@gmail.com")
    sign(petition, email="MariaLopez+peru@googlemail.com")
    assert Signature.objects.count() == 1
    assert Signature.objects.get().email == "maria.lopez@gmail.com"


def test_a_wrong_key_fails_loudly_naming_the_field(settings):
    petition = factories.petition()
    sign(petition)
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(UndecryptableError, match=r"Signature\.name .*ENCRYPTION_KEYS"):
        Signature.objects.get()


def test_rotation_keeps_old_rows_readable_then_reencrypts_them(settings):
    old, new = settings.ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    petition = factories.petition()
    sign(petition)
    before = raw("signing_signature", "email")[0]
    # A new key goes first: new rows use it, old rows still read through the old key.
    settings.ENCRYPTION_KEYS = [new, old]
    sign(petition, email="second@example.org")
    assert [s.email for s in Signature.objects.order_by("id")] == [EMAIL, "second@example.org"]
    Fernet(new).decrypt(raw("signing_signature", "email")[1].encode())

    out = io.StringIO()
    call_command("rotate-keys", "--batch", "1", stdout=out)
    assert "signing_signature: 1 rows re-encrypted" in out.getvalue()
    after = raw("signing_signature", "email")[0]
    assert after != before and Fernet(new).decrypt(after.encode()).decode() == EMAIL
    # Nothing needs the old key any more: it can be dropped.
    settings.ENCRYPTION_KEYS = [new]
    assert [s.email for s in Signature.objects.order_by("id")] == [EMAIL, "second@example.org"]
    assert Message.objects.order_by("id").first().context["name"] == NAME
    # A second run finds everything under the newest key: it resumes, changing nothing.
    out = io.StringIO()
    call_command("rotate-keys", stdout=out)
    assert "Done: 0 rows re-encrypted" in out.getvalue()


def test_rotation_never_overwrites_a_value_changed_meanwhile(settings):
    """The site may change a row between the rotation's read and its write."""
    old, new = settings.ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    petition = factories.petition()
    sign(petition)
    read = raw("signing_signature", "name")[0]
    settings.ENCRYPTION_KEYS = [new, old]
    Signature.objects.update(name="Changed meanwhile")
    rotated = fernet().rotate(read.encode()).decode()
    pk = Signature.objects.get().pk
    _update(
        connection,
        "signing_signature",
        [(pk, ({"name": rotated}, {"name": read}))],
        unless_changed=["name"],
    )
    assert Signature.objects.get().name == "Changed meanwhile"


def test_a_key_dropped_too_early_stops_rotation_loudly(settings):
    petition = factories.petition()
    sign(petition)
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(UndecryptableError, match="signing_signature"):
        call_command("rotate-keys", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_and_digests_rows_stored_before_encryption():
    from django.db.migrations.executor import MigrationExecutor

    before = [("signing", "0001_initial"), ("outbox", "0001_initial"), ("fraud", "0001_initial")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    petition = factories.petition()  # the petition table is the same before and after
    old.get_model("signing", "Signature").objects.create(
        petition_id=petition.pk,
        name=NAME,
        email=EMAIL,
        email_canonical="rosa.quispe@example.org",
        country="PE",
        postcode=POSTCODE,
        name_display="full",
        language="en",
        ip_hash=ip_hash(IP),
    )
    old.get_model("outbox", "Message").objects.create(
        to=EMAIL, template="signing/email/confirm", context={"name": NAME}, language="en"
    )
    old.get_model("fraud", "ListEntry").objects.create(
        organisation_id=petition.organisation_id, kind="address", value="rosa.quispe@example.org"
    )

    executor = MigrationExecutor(connection)
    executor.migrate(latest)

    dump = raw_dump()
    assert NAME not in dump and "example.org" not in dump and ip_hash(IP) not in dump
    signature = Signature.objects.get()
    assert (signature.name, signature.email, signature.postcode) == (NAME, EMAIL, POSTCODE)
    assert signature.email_digest == email_digest(EMAIL)
    assert signature.ip_hash == ip_hash(IP) and signature.ip_digest
    assert Message.objects.get().context == {"name": NAME}
    from outcry.fraud.models import ListEntry

    entry = ListEntry.objects.get()
    assert (entry.value, entry.shown) == (email_digest(EMAIL), "rosa.quispe@example.org")


def test_the_column_decryptor_reads_what_fernet_reads_in_any_order(settings):
    old = settings.ENCRYPTION_KEYS[0]
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old]
    # Lengths across block boundaries, non-ASCII text, and a token of the older key
    # (a rotation under way) between tokens of the newest.
    values = ["", None, "a", "x" * 15, "y" * 16, "z" * 17, "Ñandú Åsa 李", "w" * 200]
    tokens = [v if v in ("", None) else fernet().encrypt(v.encode()).decode() for v in values]
    tokens.insert(3, Fernet(old).encrypt(b"older key").decode())
    values.insert(3, "older key")
    decrypt = ColumnDecryptor(Signature._meta.get_field("name"))
    assert [decrypt(t) for t in tokens] == values
    assert [decrypt(t) for t in reversed(tokens)] == values[::-1]


def test_the_column_decryptor_reads_a_chunk_in_one_go_as_token_by_token(settings):
    old = settings.ENCRYPTION_KEYS[0]
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old]
    values = ["Ñandú Åsa 李", None, "x" * 16, "", "older key", "z" * 40]
    tokens = [v if v in ("", None) else fernet().encrypt(v.encode()).decode() for v in values]
    tokens[4] = Fernet(old).encrypt(b"older key").decode()  # between the newest key's
    decrypt = ColumnDecryptor(Signature._meta.get_field("name"))
    assert decrypt.column(tokens) == values
    assert decrypt.column(tokens[::-1]) == values[::-1]
    assert decrypt.column([]) == []


def test_a_tampered_token_in_a_chunk_fails_the_whole_chunk_loudly():
    tokens = [fernet().encrypt(f"Signer {n}".encode()).decode() for n in range(3)]
    tampered = bytearray(tokens[1].encode())
    tampered[-5] = ord("A") if tampered[-5] != ord("A") else ord("B")  # in the HMAC
    tokens[1] = tampered.decode()
    decrypt = ColumnDecryptor(Signature._meta.get_field("name"))
    with pytest.raises(UndecryptableError, match=r"Signature\.name"):
        decrypt.column(tokens)


@pytest.mark.parametrize("flip", [0, 12, 40, -1])
def test_the_column_decryptor_refuses_a_tampered_token_loudly(flip):
    token = bytearray(fernet().encrypt(b"Rosa Quispe"))
    token[flip] = ord("A") if token[flip] != ord("A") else ord("B")
    decrypt = ColumnDecryptor(Signature._meta.get_field("name"))
    with pytest.raises(UndecryptableError, match=r"Signature\.name"):
        decrypt(token.decode())
    assert decrypt(fernet().encrypt(b"next").decode()) == "next"  # and reads on
