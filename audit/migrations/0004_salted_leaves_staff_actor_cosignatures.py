"""Salted leaves (leaf format 2), the actor as a foreign key to the staff model, witness cosignatures, and
append-only triggers whose flush escape hatch exists only in test databases built with the test settings.

The actor column keeps its name (``actor_staff_id``): its value is part of every staff event's hashed leaf.

Triggers: a production database gets triggers that reject every UPDATE and DELETE (and TRUNCATE) with no
exception at all, so no connection can switch a flush flag on (on SQLite any connection could define the SQL
function the old trigger consulted; on PostgreSQL any session could set the old flag). Only a database Django
created for tests (name ``test_...`` or in memory) under settings with ``PELUIT_AUDIT_TEST_FLUSH`` (tests/settings.py)
gets the variant that lets the test suite's flush through (see audit/db.py).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLES = ("audit_auditevent", "audit_auditcheckpoint", "audit_auditcosignature")
OLD_TABLES = ("audit_auditevent", "audit_auditcheckpoint")


def _sqlite_create(tables, flushable):
    when = "WHEN peluit_audit_flush() = 0 " if flushable else ""
    statements = []
    for table in tables:
        statements += [
            f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
                BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE rejected'); END""",
            f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} {when}
                BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE rejected'); END""",
        ]
    return statements


def _sqlite_drop(tables):
    return [f"DROP TRIGGER IF EXISTS {table}_{suffix}" for table in tables for suffix in ("no_update", "no_delete")]


POSTGRES_STRICT_FUNCTION = """CREATE OR REPLACE FUNCTION peluit_audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only: % rejected', TG_TABLE_NAME, TG_OP;
    END
    $$"""
# Only in a test database (created by the test runner, name test_...) built with the test settings.
POSTGRES_TEST_FUNCTION = """CREATE OR REPLACE FUNCTION peluit_audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('DELETE', 'TRUNCATE') AND current_setting('peluit.audit_flush', true) = 'on'
         AND current_database() LIKE 'test\\_%' THEN
        IF TG_LEVEL = 'ROW' THEN RETURN OLD; END IF;
        RETURN NULL;
      END IF;
      RAISE EXCEPTION '% is append-only: % rejected', TG_TABLE_NAME, TG_OP;
    END
    $$"""

# Migration 0002's function, restored when this migration is reversed.
POSTGRES_0002_FUNCTION = """CREATE OR REPLACE FUNCTION peluit_audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('DELETE', 'TRUNCATE') AND current_setting('peluit.audit_flush', true) = 'on' THEN
        IF TG_LEVEL = 'ROW' THEN RETURN OLD; END IF;
        RETURN NULL;
      END IF;
      RAISE EXCEPTION '% is append-only: % rejected', TG_TABLE_NAME, TG_OP;
    END
    $$"""


def _postgres_triggers(table):
    return [
        f"""CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION peluit_audit_reject_change()""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION peluit_audit_reject_change()""",
    ]


def _execute(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement, params=None)


def _vendor(schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise RuntimeError(f"no append-only triggers for database vendor {vendor!r}")
    return vendor


def drop_old_sqlite_triggers(apps, schema_editor):
    """SQLite rebuilds the event table below (which drops its triggers anyway); drop them all first."""
    if _vendor(schema_editor) == "sqlite":
        _execute(schema_editor, _sqlite_drop(OLD_TABLES))


def create_triggers(apps, schema_editor):
    from audit.db import test_flush_enabled

    flushable = test_flush_enabled(schema_editor.connection)
    if _vendor(schema_editor) == "sqlite":
        _execute(schema_editor, _sqlite_drop(TABLES) + _sqlite_create(TABLES, flushable))
        return
    _execute(schema_editor, [POSTGRES_TEST_FUNCTION if flushable else POSTGRES_STRICT_FUNCTION])
    _execute(schema_editor, _postgres_triggers("audit_auditcosignature"))


def drop_new_triggers(apps, schema_editor):
    """Reverse: back to the triggers of migration 0002 (SQLite's come back in the last reverse step)."""
    if _vendor(schema_editor) == "sqlite":
        _execute(schema_editor, _sqlite_drop(TABLES))
        return
    _execute(
        schema_editor,
        [f"DROP TRIGGER IF EXISTS audit_auditcosignature_{s} ON audit_auditcosignature" for s in ("no_change", "no_truncate")],
    )
    _execute(schema_editor, [POSTGRES_0002_FUNCTION])


def recreate_old_sqlite_triggers(apps, schema_editor):
    if _vendor(schema_editor) == "sqlite":
        _execute(schema_editor, _sqlite_drop(OLD_TABLES) + _sqlite_create(OLD_TABLES, True))


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_read_audit_log_permission"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_old_sqlite_triggers, recreate_old_sqlite_triggers),
        # Keep the column: name it explicitly, rename the field, then make it a foreign key.
        migrations.AlterField(
            model_name="auditevent",
            name="actor_staff_id",
            field=models.BigIntegerField(
                blank=True, db_column="actor_staff_id", db_index=True, null=True, verbose_name="staff id"
            ),
        ),
        migrations.RenameField(model_name="auditevent", old_name="actor_staff_id", new_name="actor_staff"),
        migrations.AlterField(
            model_name="auditevent",
            name="actor_staff",
            field=models.ForeignKey(
                blank=True,
                db_column="actor_staff_id",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="audit_events",
                to=settings.AUTH_USER_MODEL,
                verbose_name="staff member",
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="salt",
            field=models.CharField(blank=True, db_default="", default="", max_length=32, verbose_name="leaf salt"),
        ),
        migrations.CreateModel(
            name="AuditCosignature",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("witness", models.CharField(max_length=255, verbose_name="witness")),
                ("key_id", models.BinaryField(max_length=4, verbose_name="key id")),
                ("timestamp", models.BigIntegerField(verbose_name="cosigned at (seconds since 1970, UTC)")),
                ("signature_line", models.TextField(verbose_name="signature line")),
                ("received_at", models.DateTimeField(verbose_name="received at")),
                (
                    "checkpoint",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="cosignatures",
                        to="audit.auditcheckpoint",
                        verbose_name="checkpoint",
                    ),
                ),
            ],
            options={
                "verbose_name": "audit cosignature",
                "verbose_name_plural": "audit cosignatures",
                "ordering": ["checkpoint", "witness", "timestamp"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("checkpoint", "witness", "key_id"), name="audit_one_cosignature_per_witness"
                    )
                ],
            },
        ),
        migrations.RunPython(create_triggers, drop_new_triggers),
    ]
