"""PostgreSQL: the application role documented in docs/audit.md may read and insert audit rows, never UPDATE,
DELETE or TRUNCATE them, not even with the test-only flush flag set. Skipped on SQLite."""

from __future__ import annotations

import secrets

import pytest
from django.db import connection

from audit.db import app_role_statements
from tests.audit.helpers import write_events


@pytest.fixture
def app_role():  # type: ignore[no-untyped-def]
    """A throwaway login role with exactly the documented privileges; yields (role, password)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    role, password = f"peluit_app_{secrets.token_hex(4)}", secrets.token_hex(16)
    database = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        cursor.execute(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
        for statement in app_role_statements(role):
            cursor.execute(statement)
    try:
        yield role, password
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
            cursor.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}")
            cursor.execute(f"REVOKE ALL ON SCHEMA public FROM {role}")
            cursor.execute(f'REVOKE ALL ON DATABASE "{database}" FROM {role}')
            cursor.execute(f"DROP ROLE {role}")


@pytest.mark.django_db(transaction=True)
def test_app_role_cannot_change_the_audit_log(app_role: tuple[str, str]) -> None:
    import psycopg
    from psycopg.errors import InsufficientPrivilege

    role, password = app_role
    write_events(2)
    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
        dbname=params["NAME"],
        user=role,
        password=password,
        autocommit=True,
    ) as app:
        assert app.execute("SELECT count(*) FROM audit_auditevent").fetchone() == (2,)
        with app.transaction(force_rollback=True):  # inserting is allowed (and undone here)
            app.execute(
                "INSERT INTO audit_auditevent (seq, at_us, actor_kind, actor_username, action, case_ref, details, "
                "leaf_hash, chain_hash) VALUES (3, 1, 'system', '', 'auth.logout', '', '{}', %s, %s)",
                [bytes(32), bytes(32)],
            )
        app.execute("UPDATE casework_staffuser SET first_name = first_name")  # other tables: full access
        app.execute("SELECT set_config('peluit.audit_flush', 'on', false)")  # the flush flag does not help
        for statement in (
            "UPDATE audit_auditevent SET action = 'auth.logout'",
            "DELETE FROM audit_auditevent",
            "TRUNCATE audit_auditevent",
            "UPDATE audit_auditcheckpoint SET note = ''",
            "DELETE FROM audit_auditcheckpoint",
            "TRUNCATE audit_auditcheckpoint",
        ):
            with pytest.raises(InsufficientPrivilege):
                app.execute(statement)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_auditevent")
        assert cursor.fetchone() == (2,)


@pytest.mark.django_db
def test_even_the_owner_is_stopped_by_the_triggers() -> None:
    from django.db import DatabaseError, transaction

    write_events(1)
    for statement in ("UPDATE audit_auditevent SET action = 'x'", "DELETE FROM audit_auditevent"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_auditevent")
