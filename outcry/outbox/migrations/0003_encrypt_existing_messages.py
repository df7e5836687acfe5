from django.db import migrations

from outcry.privacy.fields import encrypt_existing_rows


def forwards(apps, schema_editor):
    encrypt_existing_rows(schema_editor, "outbox_message", ["to", "reply_to", "context"])


class Migration(migrations.Migration):
    """Encrypt the addresses and contexts of the messages stored before encryption."""

    dependencies = [
        ("outbox", "0002_encrypt_recipients"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
