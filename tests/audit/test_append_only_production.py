"""The flush escape hatch of the append-only triggers exists only in test databases under the test settings.

Before: on SQLite any connection could define ``peluit_audit_flush()`` (``create_function``) and delete audit rows;
on PostgreSQL any session could ``SET peluit.audit_flush = on``. A database migrated as production is migrated
(config.settings, a database not made by the test runner) must refuse both.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from audit import db
from tests.support.postgres import drop_database

ROOT = Path(settings.BASE_DIR)
EVENT = (
    "INSERT INTO audit_auditevent (seq, salt, at_us, actor_kind, actor_staff_id, actor_username, action, case_ref, "
    "details, leaf_hash, chain_hash) VALUES (1, '', 1, 'system', NULL, '', 'auth.logout', '', '{}', {p}, {p})"
)


def migrate(database_url: str, tmp_path: Path, settings_module: str = "config.settings") -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": database_url,
        "PELUIT_VAR_DIR": str(tmp_path / "var"),
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("settings_module", ["config.settings", "tests.settings"])
def test_sqlite_production_triggers_ignore_a_flush_function_defined_by_any_connection(
    tmp_path: Path, settings_module: str
) -> None:
    """Even the test settings give a database that is not a test database the strict triggers."""
    path = tmp_path / "peluit.sqlite3"
    migrate(f"sqlite:///{path}", tmp_path, settings_module)
    attacker = sqlite3.connect(path)
    attacker.execute(EVENT.replace("{p}", "?"), [bytes(32), bytes(32)])
    attacker.commit()
    attacker.create_function("peluit_audit_flush", 0, lambda: 1)
    with pytest.raises(sqlite3.DatabaseError, match="append-only: DELETE rejected"):
        attacker.execute("DELETE FROM audit_auditevent")
    with pytest.raises(sqlite3.DatabaseError, match="append-only: UPDATE rejected"):
        attacker.execute("UPDATE audit_auditevent SET action = 'x'")
    triggers = attacker.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    assert {name for name, _sql in triggers} >= {
        f"{table}_{kind}" for table in db.AUDIT_TABLES for kind in ("no_update", "no_delete")
    }
    assert not any("peluit_audit_flush" in sql for _name, sql in triggers)
    assert attacker.execute("SELECT count(*) FROM audit_auditevent").fetchone() == (1,)


@pytest.mark.slow
def test_postgres_production_function_ignores_the_flush_flag(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    params: dict[str, Any] = connection.settings_dict
    name = f"peluit_strict_{uuid.uuid4().hex[:8]}"
    server = f"postgres://{params['USER']}:{params['PASSWORD']}@{params['HOST']}:{params['PORT']}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        migrate(f"{server}/{name}", tmp_path)
        with psycopg.connect(f"{server}/{name}", autocommit=True) as attacker:
            attacker.execute(EVENT.replace("{p}", "%s"), [bytes(32), bytes(32)])
            attacker.execute("SELECT set_config('peluit.audit_flush', 'on', false)")
            for statement in ("DELETE FROM audit_auditevent", "TRUNCATE audit_auditevent CASCADE"):
                with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                    attacker.execute(statement)
            source = attacker.execute("SELECT prosrc FROM pg_proc WHERE proname = 'peluit_audit_reject_change'")
            assert "audit_flush" not in source.fetchone()[0]  # type: ignore[index]
            assert attacker.execute("SELECT count(*) FROM audit_auditevent").fetchone() == (1,)
    finally:
        drop_database(f"{server}/postgres", name)


@pytest.mark.django_db
def test_the_test_database_has_the_test_variant() -> None:
    """The suite's own database is the one place the flush may pass (so the real triggers are still tested)."""
    assert db.test_flush_enabled(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_auditevent_no_delete'")
            assert "peluit_audit_flush() = 0" in cursor.fetchone()[0]
        else:
            cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'peluit_audit_reject_change'")
            source = cursor.fetchone()[0]
            assert "peluit.audit_flush" in source and "current_database() LIKE 'test\\_%'" in source


def test_the_escape_hatch_needs_the_test_settings_and_a_test_database(settings: Any) -> None:
    test_db = SimpleNamespace(
        vendor="postgresql", settings_dict={"NAME": "test_peluit", "TEST": {}}, is_in_memory_db=lambda: False
    )
    production_db = SimpleNamespace(
        vendor="postgresql", settings_dict={"NAME": "peluit", "TEST": {}}, is_in_memory_db=lambda: False
    )
    assert db.test_flush_enabled(test_db)  # type: ignore[arg-type]
    assert not db.test_flush_enabled(production_db)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="only for test databases"), db.allow_flush(production_db):  # type: ignore[arg-type]
        pass
    settings.PELUIT_AUDIT_TEST_FLUSH = False
    assert not db.test_flush_enabled(test_db)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError), db.allow_flush(test_db):  # type: ignore[arg-type]
        pass


def test_production_settings_do_not_define_the_switch() -> None:
    from config import settings as production

    assert not hasattr(production, db.TEST_FLUSH_SETTING)
    assert db.TEST_FLUSH_SETTING not in (ROOT / "config" / "settings.py").read_text()
