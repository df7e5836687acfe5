from django.db import migrations

from outcry.privacy.digest import email_digest
from outcry.privacy.fields import encrypt_existing_rows


def forwards(apps, schema_editor):
    def digest(values):
        return {"email_digest": email_digest(values["email"]) if values["email"] else None}

    encrypt_existing_rows(schema_editor, "actions_letterbatch", ["name", "email"], derive=digest)
    encrypt_existing_rows(schema_editor, "actions_actionreport", ["email"], derive=digest)


class Migration(migrations.Migration):
    """Encrypt the letter writers and report addresses stored before encryption."""

    dependencies = [
        ("actions", "0003_encrypt_personal_data"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
