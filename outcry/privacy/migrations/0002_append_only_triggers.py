"""The database itself refuses to rewrite consent history.

UPDATE of a consent text or a log entry and DELETE of a log entry raise an
integrity error on SQLite and PostgreSQL alike, whatever code runs. Wiping a
whole database (`outcry flush`, TRUNCATE) stays possible: that is not editing
history but removing it all, which anyone owning the database can do anyway.
"""

from django.db import migrations

from outcry.privacy.append_only import (
    GUARDED,
    POSTGRES_FUNCTION,
    postgres_create,
    sqlite_create,
    trigger_name,
)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # No parameters: the function's own % placeholders are PL/pgSQL's, not the driver's.
        schema_editor.execute(POSTGRES_FUNCTION, params=None)
        statements = [postgres_create(t, op) for t, op in GUARDED]
    elif vendor == "sqlite":
        statements = [sqlite_create(t, op) for t, op in GUARDED]
    else:
        raise RuntimeError(f"append-only triggers are not written for {vendor}")
    for sql in statements:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, operation in GUARDED:
        on = f" ON {table}" if vendor == "postgresql" else ""
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger_name(table, operation)}{on}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS outcry_append_only()")


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_consent_log_and_retention")]

    operations = [migrations.RunPython(create, drop)]
