from django.db import migrations

from outcry.privacy.digest import email_digest
from outcry.privacy.fields import encrypt_existing_rows, fernet


def forwards(apps, schema_editor):
    # An address entry kept the canonical address as its value: the value becomes
    # the digest signatures are matched by, and the address is kept encrypted.
    def digest(values):
        if values["kind"] != "address":
            return {}
        return {
            "value": email_digest(values["value"]),
            "address": fernet().encrypt(values["value"].encode()).decode(),
        }

    encrypt_existing_rows(
        schema_editor, "fraud_listentry", [], read=["kind", "value"], derive=digest
    )


class Migration(migrations.Migration):
    """Address entries of the block and allow lists: matched by digest, shown decrypted."""

    dependencies = [
        ("fraud", "0002_encrypted_list_address"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
