"""The verifier reads the log in batches and checks an intact batch as a whole; damage anywhere in a batch, at
its edges and in the last, partial batch is still named exactly as a row-by-row walk names it.

The batch size is made tiny here so that 22 events make six batches: [1-4] [5-8] [9-12] [13-16] [17-20] [21-22],
with checkpoints of tree size 11 (inside a batch) and 16 (the last row of a batch). The expected leaves and
roots come from the ORM rows through ``chain.row_bytes`` and the recursive ``merkle.root``, not from the
verifier's own code.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from django.db import NotSupportedError, connection

from audit import chain, merkle, verify
from audit.checkpoints import create_checkpoint
from audit.models import AuditEvent
from tests.audit.helpers import drop_append_only_triggers, write_events

pytestmark = pytest.mark.django_db

EVENTS = 22
# (seq, where it sits with batches of four)
DAMAGED = [
    (6, "inside a batch"),
    (8, "last row of a full batch"),
    (9, "first row of a batch"),
    (21, "first row of the last, partial batch"),
    (22, "last row of the log, in the partial batch"),
]


@pytest.fixture
def log() -> None:
    write_events(10)
    create_checkpoint()  # event #11, tree size 11
    write_events(4)
    create_checkpoint()  # event #16, tree size 16
    write_events(6)
    assert AuditEvent.objects.count() == EVENTS


def sql(statement: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def expected_leaves() -> list[bytes]:
    """The leaf hashes recomputed from the ORM's rows, independently of the verifier's SQL."""
    return [
        chain.leaf_hash(chain.row_bytes(*(getattr(event, name) for name in chain.FIELDS)))
        for event in AuditEvent.objects.order_by("seq")
    ]


def rehash_from(seq: int) -> None:
    """Recompute leaf and chained hashes from ``seq`` to the end, as a careful attacker would."""
    previous = chain.GENESIS
    for event in AuditEvent.objects.order_by("seq"):
        leaf = chain.leaf_hash(chain.row_bytes(*(getattr(event, name) for name in chain.FIELDS)))
        chained = chain.chain_hash(previous, leaf)
        if event.seq >= seq:
            sql(
                "UPDATE audit_auditevent SET leaf_hash = %s, chain_hash = %s WHERE seq = %s", [leaf, chained, event.seq]
            )
        previous = chained


def messages(fetch_size: int, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(verify, "FETCH_SIZE", fetch_size)
    return [problem.message for problem in verify.verify_log().problems]


@pytest.mark.parametrize("fetch_size", [3, 4, 1000])
def test_an_intact_log_read_in_batches_gives_every_leaf_and_root(
    log: None, fetch_size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify, "FETCH_SIZE", fetch_size)
    leaves = expected_leaves()
    sizes = [1, 4, 5, 8, 11, 13, 16, 21]
    report = verify.scan_events(sizes=sizes, keep_leaves=True)
    assert report.intact, report.problems
    assert report.events == EVENTS
    assert report.leaves == leaves
    assert report.root_hash == merkle.root(leaves)
    for size in sizes:
        assert report.roots[size] == merkle.root(leaves[:size]), size
    times = list(AuditEvent.objects.order_by("seq").values_list("at_us", flat=True))
    assert report.last_times == {size: times[size - 1] for size in [*sizes, EVENTS]}
    assert verify.verify_log().intact


@pytest.mark.parametrize(("seq", "where"), DAMAGED)
def test_a_changed_event_is_named_wherever_it_sits_in_a_batch(
    log: None, seq: int, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop_append_only_triggers()
    sql("UPDATE audit_auditevent SET details = '{\"n\":999}' WHERE seq = %s", [seq])
    found = messages(4, monkeypatch)
    assert found[0] == f"event #{seq} was changed: its content does not match its leaf hash", where
    assert [m for m in found if m.startswith("event #")] == [found[0]], "the chain resumes after the damage"
    checkpoint_problems = [m for m in found if m.startswith("checkpoint of tree size")]
    assert len(checkpoint_problems) == (seq <= 11) + (seq <= 16)
    assert found == messages(1000, monkeypatch)


@pytest.mark.parametrize(("seq", "where"), DAMAGED)
def test_a_changed_link_is_named_wherever_it_sits_in_a_batch(
    log: None, seq: int, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop_append_only_triggers()
    sql("UPDATE audit_auditevent SET chain_hash = %s WHERE seq = %s", [bytes(32), seq])
    found = messages(4, monkeypatch)
    assert found[0] == (
        f"event #{seq} does not follow event #{seq - 1} in the hash chain "
        "(an event was inserted, removed, reordered or rewritten before it)"
    ), where
    # The next event is checked against the stored (broken) link, so it is named too, unless it is the last.
    assert len(found) == (1 if seq == EVENTS else 2), found
    assert found == messages(1000, monkeypatch)


@pytest.mark.parametrize(("seq", "where"), DAMAGED)
def test_a_changed_stored_leaf_hash_alone_is_named_wherever_it_sits_in_a_batch(
    log: None, seq: int, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the leaf_hash column edited: the event and the chain agree, but proofs are built from that column."""
    drop_append_only_triggers()
    sql("UPDATE audit_auditevent SET leaf_hash = %s WHERE seq = %s", [bytes(32), seq])
    found = messages(4, monkeypatch)
    assert found == [
        f"event #{seq} does not match its stored leaf hash although its chain link does: either the leaf_hash "
        "column was edited, or the event was changed and its chain link recomputed (inclusion and consistency "
        "proofs built from the stored leaf hashes would fail)"
    ], where
    assert found == messages(1000, monkeypatch)
    # Everything else still checks the recomputed leaf: the roots are those of the true events.
    sql("UPDATE audit_auditevent SET leaf_hash = %s WHERE seq = %s", [expected_leaves()[seq - 1], seq])
    assert messages(4, monkeypatch) == []


@pytest.mark.parametrize(("seq", "where"), DAMAGED)
def test_a_deleted_event_is_named_wherever_it_sat_in_a_batch(
    log: None, seq: int, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop_append_only_triggers()
    sql("DELETE FROM audit_auditevent WHERE seq = %s", [seq])
    found = messages(4, monkeypatch)
    if seq == EVENTS:  # the tail: nothing jumps, but the last checkpoint no longer has the events it needs
        assert not any(m.startswith("event #") for m in found), found
        assert verify.verify_log().events == EVENTS - 1
    else:
        assert found[0] == f"event #{seq} is missing (deleted): the log jumps to #{seq + 1}", where
    assert found == messages(1000, monkeypatch)


@pytest.mark.parametrize(("seq", "where"), [d for d in DAMAGED if d[0] < EVENTS])
def test_a_deleted_event_is_named_by_the_gap_even_with_recomputed_hashes(
    log: None, seq: int, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop_append_only_triggers()
    sql("DELETE FROM audit_auditevent WHERE seq = %s", [seq])
    rehash_from(seq + 1)
    found = messages(4, monkeypatch)
    assert found[0] == f"event #{seq} is missing (deleted): the log jumps to #{seq + 1}", where
    assert [m for m in found if m.startswith("event #")] == [found[0]], found
    assert found == messages(1000, monkeypatch)


@pytest.mark.parametrize(("seq", "where"), DAMAGED)
def test_an_event_dated_back_with_recomputed_hashes_is_named_wherever_it_sits(
    log: None, seq: int, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop_append_only_triggers()
    sql("UPDATE audit_auditevent SET at_us = at_us - 3600000000 WHERE seq = %s", [seq])
    rehash_from(seq)
    found = messages(4, monkeypatch)
    assert found[0] == f"event #{seq} is dated before the event preceding it: time went backwards in the log", where
    assert found == messages(1000, monkeypatch)


@pytest.mark.parametrize(("seq", "where"), [d for d in DAMAGED if d[0] <= 16])
def test_a_rewrite_with_recomputed_hashes_is_caught_by_the_checkpoints(
    log: None, seq: int, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop_append_only_triggers()
    sql("UPDATE audit_auditevent SET case_ref = 'WBS-2026-000999' WHERE seq = %s", [seq])
    rehash_from(seq)
    found = messages(4, monkeypatch)
    assert not any(m.startswith("event #") for m in found), where
    assert found[-1].startswith("checkpoint of tree size 16 does not match the log"), found
    assert any(m.startswith("checkpoint of tree size 11 does not match") for m in found) == (seq <= 11)
    assert found == messages(1000, monkeypatch)


def test_the_database_builds_the_leaf_bytes_of_every_batch(log: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify, "FETCH_SIZE", 4)
    batches = list(verify._batches(connection, None))
    assert [len(batch) for batch in batches] == [4, 4, 4, 4, 4, 2]
    assert [chain.leaf_hash(text) for batch in batches for _seq, text, _leaf, _chain, _at in batch] == expected_leaves()
    stored = list(AuditEvent.objects.order_by("seq").values_list("leaf_hash", flat=True))
    assert [bytes(leaf) for batch in batches for _seq, _text, leaf, _chain, _at in batch] == [bytes(x) for x in stored]
    assert [len(batch) for batch in verify._batches(connection, 9)] == [4, 4, 1]


def test_a_sqlite_database_not_in_utf8_is_refused(tmp_path: Path) -> None:
    """The leaf bytes are the text as the database stores it; only UTF-8 gives the bytes that were hashed."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    from django.db.backends.sqlite3.base import DatabaseWrapper

    path = tmp_path / "utf16.sqlite3"
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA encoding = 'UTF-16le'")
        raw.execute("CREATE TABLE t (x)")
    raw.close()
    other = DatabaseWrapper({**connection.settings_dict, "NAME": str(path)}, alias="utf16")
    try:
        with pytest.raises(NotSupportedError, match="UTF-16le, not UTF-8"):
            verify.scan_events(connection=other)
    finally:
        other.close()
