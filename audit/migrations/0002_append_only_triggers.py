"""Append-only audit tables: triggers that reject UPDATE and DELETE (and TRUNCATE on PostgreSQL).

DELETE/TRUNCATE pass only while the connection's flush flag is set (see audit/db.py): that is how the test
suite empties its own test database. UPDATE never passes.
"""

from django.db import migrations

TABLES = ("audit_auditevent", "audit_auditcheckpoint")

SQLITE_CREATE = [
    statement
    for table in TABLES
    for statement in (
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE rejected'); END""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} WHEN peluit_audit_flush() = 0
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE rejected'); END""",
    )
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {table}_{suffix}" for table in TABLES for suffix in ("no_update", "no_delete")
]

POSTGRES_CREATE = [
    """CREATE OR REPLACE FUNCTION peluit_audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('DELETE', 'TRUNCATE') AND current_setting('peluit.audit_flush', true) = 'on' THEN
        IF TG_LEVEL = 'ROW' THEN RETURN OLD; END IF;
        RETURN NULL;
      END IF;
      RAISE EXCEPTION '% is append-only: % rejected', TG_TABLE_NAME, TG_OP;
    END
    $$""",
] + [
    statement
    for table in TABLES
    for statement in (
        f"""CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION peluit_audit_reject_change()""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION peluit_audit_reject_change()""",
    )
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS {table}_{suffix} ON {table}" for table in TABLES for suffix in ("no_change", "no_truncate")
] + ["DROP FUNCTION IF EXISTS peluit_audit_reject_change()"]

STATEMENTS = {
    "sqlite": (SQLITE_CREATE, SQLITE_DROP),
    "postgresql": (POSTGRES_CREATE, POSTGRES_DROP),
}


def _run(schema_editor, index):
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        raise RuntimeError(f"no append-only triggers for database vendor {vendor!r}")
    for statement in STATEMENTS[vendor][index]:
        schema_editor.execute(statement, params=None)


def create_triggers(apps, schema_editor):
    _run(schema_editor, 0)


def drop_triggers(apps, schema_editor):
    _run(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
