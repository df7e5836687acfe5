"""The SQL of the triggers that keep the consent log append-only (migration 0002)."""

GUARDED = [
    ("privacy_consenttext", "UPDATE"),
    ("privacy_consentlog", "UPDATE"),
    ("privacy_consentlog", "DELETE"),
]


def trigger_name(table: str, operation: str) -> str:
    return f"{table}_no_{operation.lower()}"


def sqlite_create(table: str, operation: str) -> str:
    return (
        f"CREATE TRIGGER {trigger_name(table, operation)} BEFORE {operation} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
    )


POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION outcry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$
"""


def postgres_create(table: str, operation: str) -> str:
    return (
        f"CREATE TRIGGER {trigger_name(table, operation)} BEFORE {operation} ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION outcry_append_only()"
    )
