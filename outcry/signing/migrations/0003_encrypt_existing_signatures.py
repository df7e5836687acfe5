from django.db import migrations

from outcry.privacy.digest import domain_digest, email_digest, ip_digest
from outcry.privacy.fields import encrypt_existing_rows


def digests(values):
    return {
        "email_digest": email_digest(values["email"]),
        "domain_digest": domain_digest(values["email"]),
        "ip_digest": ip_digest(values["ip_hash"] or ""),
    }


def forwards(apps, schema_editor):
    encrypt_existing_rows(
        schema_editor,
        "signing_signature",
        ["name", "email", "postcode", "ip_hash"],
        derive=digests,
    )


class Migration(migrations.Migration):
    """Encrypt the signatures stored before encryption, and give them their digests.

    The digests are read from the plaintext before it is encrypted; the rows go in
    batches, so a large table never sits in memory. There is no way back: the
    keys are needed to read the data from now on.
    """

    dependencies = [
        ("signing", "0002_encrypt_personal_data"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
