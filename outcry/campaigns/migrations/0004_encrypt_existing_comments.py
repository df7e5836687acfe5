from django.db import migrations

from outcry.privacy.fields import encrypt_existing_rows


def forwards(apps, schema_editor):
    encrypt_existing_rows(schema_editor, "campaigns_comment", ["name", "email"])


class Migration(migrations.Migration):
    """Encrypt the commenters stored before encryption."""

    dependencies = [
        ("campaigns", "0003_encrypt_comment_author"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
