"""Tampering with the audit log behind the triggers' back is found and named by ``manage.py audit_verify``.

Each test stands for someone with direct database access: the append-only triggers are dropped (SQLite) or
disabled (PostgreSQL) inside the test's transaction, the log is changed with raw SQL, and ``audit_verify`` must
exit non-zero and name the first damaged event (or the checkpoint that exposes it).
"""

from __future__ import annotations

import pytest
from django.db import connection

from audit import chain
from audit.checkpoints import create_checkpoint
from tests.audit.helpers import drop_append_only_triggers, run, skip_unless, write_events

pytestmark = pytest.mark.django_db


def sql(statement: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def rehash_from(seq: int) -> None:
    """Recompute leaf and chained hashes from ``seq`` to the end, as a careful attacker would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT salt, seq, at_us, actor_kind, actor_staff_id, actor_username, action, case_ref, details "
            "FROM audit_auditevent ORDER BY seq"
        )
        rows = cursor.fetchall()
        previous = chain.GENESIS
        for row in rows:
            leaf = chain.leaf_hash(chain.row_bytes(*row))
            chained = chain.chain_hash(previous, leaf)
            if row[1] >= seq:
                cursor.execute(
                    "UPDATE audit_auditevent SET leaf_hash = %s, chain_hash = %s WHERE seq = %s",
                    [leaf, chained, row[1]],
                )
            previous = chained


@pytest.fixture
def log() -> None:
    """Ten events, a checkpoint over them (event #11), then four more events (#12 to #15)."""
    write_events(10)
    create_checkpoint()
    write_events(4)
    assert run("audit_verify").status == 0
    drop_append_only_triggers()


def assert_found(text: str) -> None:
    """audit_verify exits 1 (not intact), shows no traceback, and its output holds ``text``."""
    outcome = run("audit_verify")
    assert outcome.status == 1, outcome
    assert "Traceback" not in outcome.err
    assert text in outcome.err, outcome.err


def assert_names(first_problem: str) -> None:
    assert_found(f"first problem: {first_problem}")


def test_intact_log_passes() -> None:
    write_events(3)
    create_checkpoint()
    outcome = run("audit_verify")
    assert outcome.status == 0
    assert outcome.out.startswith("OK: 4 events, 1 checkpoints verified")


def test_updated_row_is_named(log: None) -> None:
    sql("UPDATE audit_auditevent SET action = 'auth.login_succeeded' WHERE seq = 6")
    assert_names("event #6 was changed")


def test_updated_detail_after_the_last_checkpoint_is_named(log: None) -> None:
    sql("""UPDATE audit_auditevent SET details = '{"n":99}' WHERE seq = 13""")
    assert_names("event #13 was changed")


def test_deleted_row_is_named(log: None) -> None:
    sql("DELETE FROM audit_auditevent WHERE seq = 4")
    assert_names("event #4 is missing (deleted)")


def test_forged_row_appended_is_named(log: None) -> None:
    sql(
        "INSERT INTO audit_auditevent (seq, at_us, actor_kind, actor_staff_id, actor_username, action, case_ref, "
        "details, leaf_hash, chain_hash) VALUES (16, 1, 'system', NULL, '', 'auth.logout', '', '{}', %s, %s)",
        [bytes(32), bytes(32)],
    )
    assert_names("event #16 was changed")


def test_forged_row_inserted_with_recomputed_hashes_is_caught_by_the_checkpoint(log: None) -> None:
    # Make room at #5 (two steps so no primary key collides), insert a forged event, recompute every hash.
    sql("UPDATE audit_auditevent SET seq = -seq WHERE seq >= 5")
    sql("UPDATE audit_auditevent SET seq = 1 - seq WHERE seq < 0")
    # A careful forger dates the event between its neighbours, so time does not give it away.
    sql(
        "INSERT INTO audit_auditevent (seq, at_us, actor_kind, actor_staff_id, actor_username, action, case_ref, "
        "details, leaf_hash, chain_hash) SELECT 5, at_us, 'system', NULL, '', 'vault.case_revoked', "
        "'WBS-2026-000001', '{}', %s, %s FROM audit_auditevent WHERE seq = 4",
        [bytes(32), bytes(32)],
    )
    rehash_from(5)
    assert_names("checkpoint of tree size 11 does not match the log: an event between #1 and #11")


def test_swapped_rows_are_named(log: None) -> None:
    sql("UPDATE audit_auditevent SET seq = -1 WHERE seq = 7")
    sql("UPDATE audit_auditevent SET seq = 7 WHERE seq = 8")
    sql("UPDATE audit_auditevent SET seq = 8 WHERE seq = -1")
    assert_names("event #7 was changed")


def test_truncated_tail_is_named(log: None) -> None:
    sql("DELETE FROM audit_auditevent WHERE seq >= 9")
    assert_names("the log ends at event #8 but the checkpoint of tree size 11 covers 11 events")


def test_rewritten_history_with_recomputed_hashes_is_caught_by_the_checkpoint(log: None) -> None:
    sql("UPDATE audit_auditevent SET case_ref = 'WBS-2026-000999' WHERE seq = 3")
    rehash_from(3)
    assert_names("checkpoint of tree size 11 does not match the log: an event between #1 and #11")


def test_changed_hash_link_is_named(log: None) -> None:
    sql("UPDATE audit_auditevent SET chain_hash = %s WHERE seq = 9", [bytes(32)])
    assert_names("event #9 does not follow event #8")


def test_changed_stored_leaf_hash_is_named(log: None) -> None:
    # The event and its link agree; only the stored leaf hash (from which proofs are served) was edited.
    sql("UPDATE audit_auditevent SET leaf_hash = %s WHERE seq = 12", [bytes(32)])
    assert_names("event #12 does not match its stored leaf hash although its chain link does")


def test_changed_event_with_its_link_recomputed_is_not_blamed_on_the_leaf_hash_alone(log: None) -> None:
    """Content changed and its own link recomputed, the stored leaf hash left as it was: the message says
    either may have happened, and the checkpoint that covers the event says the history changed."""
    sql("""UPDATE audit_auditevent SET details = '{"n":99}' WHERE seq = 7""")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT salt, seq, at_us, actor_kind, actor_staff_id, actor_username, action, case_ref, details "
            "FROM audit_auditevent WHERE seq = 7"
        )
        leaf = chain.leaf_hash(chain.row_bytes(*cursor.fetchone()))
        cursor.execute("SELECT chain_hash FROM audit_auditevent WHERE seq = 6")
        (previous,) = cursor.fetchone()
    sql("UPDATE audit_auditevent SET chain_hash = %s WHERE seq = 7", [chain.chain_hash(bytes(previous), leaf)])
    outcome = run("audit_verify")
    assert outcome.status == 1, outcome
    assert (
        "first problem: event #7 does not match its stored leaf hash although its chain link does: either the "
        "leaf_hash column was edited, or the event was changed" in outcome.err
    ), outcome.err
    assert "checkpoint of tree size 11 does not match the log" in outcome.err, outcome.err


SQLITE_VALUES_OF_ANOTHER_TYPE = [
    ("leaf_hash", "'abc'"),
    ("leaf_hash", "1.5"),
    ("leaf_hash", "9223372036854775807"),
    ("leaf_hash", "leaf_hash || x'00'"),  # || gives TEXT, here not even UTF-8
    ("chain_hash", "'abc'"),
    ("chain_hash", "chain_hash || x'00'"),
    ("at_us", "'abc'"),
    ("at_us", "1.5"),
]


@pytest.mark.parametrize(("column", "value"), SQLITE_VALUES_OF_ANOTHER_TYPE)
def test_a_value_of_another_type_in_sqlite_is_named_not_a_crash(log: None, column: str, value: str) -> None:
    """SQLite stores whatever is written into a column; audit_verify names the event instead of failing."""
    skip_unless("sqlite")
    sql(f"UPDATE audit_auditevent SET {column} = {value} WHERE seq = 7")  # noqa: S608 - constants above
    assert_names("event #7 ")


@pytest.mark.parametrize("column", ["leaf_hash", "chain_hash", "at_us"])
def test_a_null_where_the_schema_forbade_one_is_named(log: None, column: str) -> None:
    """The NOT NULL constraint itself dropped (PostgreSQL; SQLite cannot drop it in place), then a NULL written."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite would need the table rebuilt")
    sql(f"ALTER TABLE audit_auditevent ALTER COLUMN {column} DROP NOT NULL")
    sql(f"UPDATE audit_auditevent SET {column} = NULL WHERE seq = 7")  # noqa: S608 - constants above
    assert_names("event #7 ")


def test_altered_checkpoint_is_named(log: None) -> None:
    sql("UPDATE audit_auditcheckpoint SET note = replace(note, '\n11\n', '\n10\n')")
    assert_names("checkpoint of tree size 11: the checkpoint's signature does not verify")


def test_deleted_checkpoint_leaves_the_chain_to_catch_a_rewrite(log: None) -> None:
    # Without checkpoints, a naive edit is still caught by the leaf hash.
    sql("DELETE FROM audit_auditcheckpoint")
    sql("UPDATE audit_auditevent SET actor_kind = 'reporter' WHERE seq = 2")
    assert_names("event #2 was changed")


def test_deleted_checkpoint_is_named_by_the_event_that_recorded_it(log: None) -> None:
    sql("DELETE FROM audit_auditcheckpoint")
    assert_names("the checkpoint of tree size 11 recorded by event #11 is missing: it was deleted")


def test_deleted_checkpoint_and_truncated_tail_are_caught(log: None) -> None:
    # Deleting the checkpoint would otherwise let a truncated tail pass for an intact log.
    sql("DELETE FROM audit_auditcheckpoint")
    sql("DELETE FROM audit_auditevent WHERE seq >= 13")
    assert_names("the checkpoint of tree size 11 recorded by event #11 is missing")


def test_an_event_dated_back_with_recomputed_hashes_is_named(log: None) -> None:
    """Issue 9 item 13: time must not go backwards; a careful forger's back-dated event is named first."""
    sql("UPDATE audit_auditevent SET at_us = at_us - 3600000000 WHERE seq = 13")
    rehash_from(13)
    assert_names("event #13 is dated before the event preceding it: time went backwards in the log")


SQLITE_SEQS = ["'abc'", "x'05'", "5.5", "0", "-3"]


@pytest.mark.parametrize("value", SQLITE_SEQS)
def test_a_seq_that_is_not_its_place_in_the_log_is_named_not_a_crash(log: None, value: str) -> None:
    """SQLite lets the primary key hold text, a fraction or a number before 1; the event's place is named."""
    skip_unless("sqlite")
    sql(f"UPDATE audit_auditevent SET seq = {value} WHERE seq = 5")  # noqa: S608 - constants above
    outcome = run("audit_verify")
    assert outcome.status == 1, outcome
    assert "Traceback" not in outcome.err
    assert "event #5 is missing (deleted)" in outcome.err, outcome.err
    if value in ("0", "-3"):
        assert f"first problem: an event after #0 has the seq {value}: seq numbers run 1, 2, 3" in outcome.err
    else:
        assert "has a seq that is not a whole number" in outcome.err, outcome.err


CHECKPOINT_EDITS = [
    ("root_hash", "'abc'"),
    ("root_hash", "CAST(x'ff' AS TEXT)"),
    ("tree_size", "'abc'"),
    ("tree_size", "10.5"),
    ("note", "x'ff'"),
    ("note", "CAST(x'ff' AS TEXT)"),
]


@pytest.mark.parametrize(("column", "value"), CHECKPOINT_EDITS)
def test_a_checkpoint_row_of_the_wrong_kind_is_named_not_a_crash(log: None, column: str, value: str) -> None:
    """An unreadable checkpoint row is named (exit 1), not taken for an unreadable log (exit 3) or a traceback."""
    skip_unless("sqlite")
    sql(f"UPDATE audit_auditcheckpoint SET {column} = {value}")  # noqa: S608 - constants above
    assert_found("cannot be read (a size, root hash or note of the wrong kind): the checkpoint table was altered")


def test_a_checkpoint_event_whose_details_are_not_utf8_is_named(log: None) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL's text is always UTF-8")
    sql("UPDATE audit_auditevent SET details = CAST(x'ff' AS TEXT) WHERE seq = 11")
    assert_names("event #11 was changed")


@pytest.mark.parametrize("column", ["tree_size", "root_hash", "note"])
def test_a_null_checkpoint_cell_is_named(log: None, column: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite would need the table rebuilt")
    sql(f"ALTER TABLE audit_auditcheckpoint ALTER COLUMN {column} DROP NOT NULL")
    sql(f"UPDATE audit_auditcheckpoint SET {column} = NULL")  # noqa: S608 - constants above
    assert_found("the checkpoint table was altered")
