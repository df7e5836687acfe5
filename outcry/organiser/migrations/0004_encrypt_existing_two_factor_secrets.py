from django.db import migrations

from outcry.privacy.fields import encrypt_existing_rows


def forwards(apps, schema_editor):
    # Keyed by the user: the table has no `id` column.
    encrypt_existing_rows(schema_editor, "organiser_twofactor", ["secret"], pk="user_id")


class Migration(migrations.Migration):
    """Encrypt the authenticator secrets stored before encryption."""

    dependencies = [
        ("organiser", "0003_encrypt_two_factor_secret"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
