"""Leaf format 2 (salted) and format 1 (written before salted leaves) side by side in one log."""

from __future__ import annotations

import re

import pytest
from django.db import connection, transaction

from audit import chain
from audit.actions import Action
from audit.checkpoints import create_checkpoint
from audit.models import AuditEvent
from audit.selectors import event_proof, recomputed_leaf
from audit.services import record
from audit.verify import _batches, verify_log
from tests.audit.helpers import run

pytestmark = pytest.mark.django_db


def test_each_event_commits_to_its_own_random_salt() -> None:
    with transaction.atomic():
        events = [record(action=Action.LOGOUT, actor="system") for _ in range(50)]
    salts = [event.salt for event in events]
    assert all(re.fullmatch(r"[0-9a-f]{32}", salt) for salt in salts)
    assert len(set(salts)) == len(salts)
    for event in events:
        fields = {name: getattr(event, name) for name in chain.FIELDS}
        assert chain.leaf_hash(chain.event_bytes(**fields)) == bytes(event.leaf_hash)
        # Everything but the salt is guessable (an action, a time, a username): without the salt the published
        # hash cannot be recomputed, so it cannot confirm a guess.
        assert chain.leaf_hash(chain.event_bytes(**{**fields, "salt": ""})) != bytes(event.leaf_hash)
        assert chain.leaf_hash(chain.event_bytes(**{**fields, "salt": "0" * 32})) != bytes(event.leaf_hash)


def write_format_1_events(count: int) -> None:
    """Insert events exactly as the code before salted leaves wrote them (no salt column value, tag /1)."""
    previous = chain.GENESIS
    with connection.cursor() as cursor:
        for seq in range(1, count + 1):
            at_us = 1_780_000_000_000_000 + seq
            details = chain.canonical_details({"n": seq})
            leaf = chain.leaf_hash(
                f"peluit-audit/1\n{seq}\n{at_us}\nsystem\n\n\nvault.report_unsealed\nWBS-2026-000001\n{details}".encode()
            )
            previous = chain.chain_hash(previous, leaf)
            cursor.execute(
                "INSERT INTO audit_auditevent (seq, at_us, actor_kind, actor_staff_id, actor_username, action, "
                "case_ref, details, leaf_hash, chain_hash) VALUES (%s, %s, 'system', NULL, '', "
                "'vault.report_unsealed', 'WBS-2026-000001', %s, %s, %s)",
                [seq, at_us, details, leaf, previous],
            )


def test_a_log_begun_in_format_1_verifies_and_grows_in_format_2() -> None:
    write_format_1_events(5)
    assert set(AuditEvent.objects.values_list("salt", flat=True)) == {""}
    with transaction.atomic():
        newer = record(action=Action.LOGOUT, actor="system")
    assert newer.seq == 6 and newer.salt
    checkpoint = create_checkpoint()
    report = verify_log()
    assert report.intact, report.problems
    assert report.events == checkpoint.tree_size == 7
    # The database builds both formats' leaf text as Python does.
    texts = {seq: text for batch in _batches(connection, None) for seq, text, _leaf, _chain, _at in batch}
    assert texts[1].startswith(b"peluit-audit/1\n1\n") and texts[6].startswith(
        f"peluit-audit/2\n{newer.salt}\n6\n".encode()
    )
    for event in AuditEvent.objects.all():
        assert chain.leaf_hash(texts[event.seq]) == bytes(event.leaf_hash) == recomputed_leaf(event)
    old = AuditEvent.objects.get(seq=2)
    assert event_proof(old).verified
    assert run("audit_verify").status == 0


def test_a_changed_format_1_event_is_still_named() -> None:
    from tests.audit.helpers import drop_append_only_triggers

    write_format_1_events(4)
    drop_append_only_triggers()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET case_ref = 'WBS-2026-000002' WHERE seq = 3")
    outcome = run("audit_verify")
    assert outcome.status == 1 and "first problem: event #3 was changed" in outcome.err


def test_a_salt_added_to_a_format_1_event_is_named() -> None:
    """Turning an old event into a salted one changes its leaf: the chain names it."""
    from tests.audit.helpers import drop_append_only_triggers

    write_format_1_events(3)
    drop_append_only_triggers()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET salt = %s WHERE seq = 2", ["ab" * 16])
    outcome = run("audit_verify")
    assert outcome.status == 1 and "first problem: event #2 was changed" in outcome.err
