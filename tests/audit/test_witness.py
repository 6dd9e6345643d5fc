"""``manage.py audit_witness URL`` against a live log, and ``audit_verify --witness FILE``.

The witness runs against the log over HTTP (a live server on this test's database); the rewrite is done the way
someone holding the database and the server would: delete the tail of the log and its checkpoints, append other
events in their place (``record`` computes proper hashes), and sign a new checkpoint with the log's real key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from audit import signing
from audit.actions import Action
from audit.checkpoints import create_checkpoint, latest_checkpoint
from audit.db import allow_flush
from audit.models import AuditCosignature
from audit.note import parse_checkpoint, parse_signed_note
from audit.services import record
from tests.audit.helpers import Outcome, run, write_events

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.usefixtures("every_checkpoint_published"),
]

WITNESS_NAME = "inspektorat.kota-lain.go.id/witness"


@dataclass
class Witness:
    """Another institution's witness: its key file and its state file, and the log it watches."""

    url: str
    state: Path
    key: Path

    def run(self, *extra: str) -> Outcome:
        return run("audit_witness", self.url, "--state", str(self.state), "--key", str(self.key), *extra)

    def first_run(self) -> Outcome:
        return self.run("--name", WITNESS_NAME, "--log-key", signing.verifier_key().encode())

    @property
    def saved(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.state.read_text())
        return loaded


@pytest.fixture
def witness(live_server: Any, tmp_path: Path, settings: Any) -> Witness:
    """A witness whose key the log accepts cosignatures from."""
    key = tmp_path / "witness" / "key.json"
    vkey = run("audit_witness", "--vkey", "--key", str(key), "--name", WITNESS_NAME)
    assert vkey.status == 0, vkey
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    settings.PELUIT_AUDIT_WITNESSES = [vkey.out.strip()]
    return Witness(url=live_server.url, state=tmp_path / "witness" / "state.json", key=key)


def rewrite_tail(*, keep: int, new_events: int) -> None:
    """Delete every event after ``keep`` and every checkpoint (and cosignature) over them; append others."""
    with transaction.atomic(), allow_flush(connection), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM audit_auditcosignature WHERE checkpoint_id IN "
            "(SELECT id FROM audit_auditcheckpoint WHERE tree_size > %s)",
            [keep],
        )
        cursor.execute("DELETE FROM audit_auditcheckpoint WHERE tree_size > %s", [keep])
        cursor.execute("DELETE FROM audit_auditevent WHERE seq > %s", [keep])
    with transaction.atomic():
        for n in range(new_events):
            record(action=Action.LOGIN_FAILED, actor="system", details={"forged": n})


def test_first_run_needs_the_log_key(witness: Witness) -> None:
    write_events(3)
    create_checkpoint()
    outcome = witness.run("--name", WITNESS_NAME)
    assert outcome.status == 2 and "--log-key" in outcome.err
    assert not witness.state.exists()


def test_the_witness_cosigns_follows_the_log_and_the_log_serves_its_cosignature(witness: Witness) -> None:
    write_events(4)
    first = create_checkpoint()
    outcome = witness.first_run()
    assert outcome.status == 0, outcome
    assert f"cosigned tree size {first.tree_size}" in outcome.out
    assert witness.saved["tree_size"] == first.tree_size
    stored = AuditCosignature.objects.get()
    assert stored.checkpoint_id == first.pk and stored.witness == WITNESS_NAME
    assert "Cosignature sent to the log: HTTP 201" in outcome.err
    # The log grows; the next run proves consistency and cosigns the new checkpoint.
    write_events(7)
    second = create_checkpoint()
    outcome = witness.run()
    assert outcome.status == 0, outcome
    assert f"cosigned tree size {second.tree_size}" in outcome.out and "consistency proven" in outcome.out
    assert witness.saved["tree_size"] == second.tree_size
    assert AuditCosignature.objects.filter(checkpoint=second).count() == 1
    # Nothing new: the same checkpoint is cosigned again, and the log keeps its first cosignature.
    assert witness.run().status == 0
    assert AuditCosignature.objects.count() == 2
    # The local log checks against the witnessed checkpoint.
    verified = run("audit_verify", "--witness", str(witness.state))
    assert verified.status == 0, verified
    assert f"witnessed by {WITNESS_NAME}" in verified.out


def test_a_rewritten_tail_is_a_fork_the_local_check_cannot_see(witness: Witness) -> None:
    write_events(5)
    create_checkpoint()  # 6
    write_events(3)
    witnessed = create_checkpoint()  # 10
    assert witness.first_run().status == 0
    write_events(2)  # 11, 12: after the last checkpoint
    before = witness.state.read_text()

    rewrite_tail(keep=7, new_events=6)
    rewritten = create_checkpoint()
    assert rewritten.tree_size > witnessed.tree_size
    # The reproduction: with the checkpoints deleted and the hashes recomputed, the log alone looks intact.
    assert run("audit_verify").status == 0

    outcome = witness.run()
    assert outcome.status == 1, outcome
    assert "FORK" in outcome.err and "does not extend the tree of 10 events" in outcome.err
    assert witness.state.read_text() == before  # the witness keeps what it cosigned
    evidence = list(witness.state.parent.glob("state.json.fork-*.txt"))
    assert len(evidence) == 1 and rewritten.note in evidence[0].read_text()

    verified = run("audit_verify", "--witness", str(witness.state))
    assert verified.status == 1
    assert "does not match the checkpoint" in verified.err


def test_a_log_cut_back_below_the_witnessed_size_is_a_fork(witness: Witness) -> None:
    write_events(5)
    create_checkpoint()  # 6
    write_events(3)
    create_checkpoint()  # 10
    assert witness.first_run().status == 0
    rewrite_tail(keep=6, new_events=0)
    outcome = witness.run()
    assert outcome.status == 1 and "tree shrank from 10 to 6" in outcome.err
    verified = run("audit_verify", "--witness", str(witness.state))
    assert verified.status == 1 and "the log is shorter than the checkpoint" in verified.err


def test_a_checkpoint_dated_before_the_witnessed_one_is_a_fork(witness: Witness, settings: Any) -> None:
    """Time must not go backwards: a new checkpoint signed with an earlier time is refused."""
    from audit.models import AuditCheckpoint
    from audit.note import CheckpointBody, checkpoint_text, format_time, signed_note

    write_events(3)
    create_checkpoint()
    assert witness.first_run().status == 0
    witnessed = parse_checkpoint(parse_signed_note(json.loads(witness.state.read_text())["checkpoint"]).text)
    write_events(2)
    grown = create_checkpoint()
    # The server signs the grown tree with a time an hour earlier (a rolled-back clock, or a replayed history).
    assert witnessed.signed_at is not None
    text = checkpoint_text(
        CheckpointBody(
            origin=signing.key_name(),
            tree_size=grown.tree_size,
            root_hash=bytes(grown.root_hash),
            extensions=(format_time(witnessed.signed_at - timedelta(hours=1)),),
        )
    )
    with transaction.atomic(), allow_flush(connection):
        AuditCheckpoint.objects.filter(pk=grown.pk).delete()
    AuditCheckpoint.objects.create(
        tree_size=grown.tree_size,
        root_hash=grown.root_hash,
        created_at=grown.created_at,
        note=signed_note(text, [signing.sign_note_text(text)]),
    )
    outcome = witness.run()
    assert outcome.status == 1 and "time went backwards" in outcome.err
    local = run("audit_verify")
    assert local.status == 1 and "time went backwards" in local.err


def test_a_checkpoint_signed_by_another_key_is_unusable(witness: Witness, settings: Any) -> None:
    write_events(2)
    create_checkpoint()
    assert witness.first_run().status == 0
    write_events(2)
    settings.PELUIT_CHECKPOINT_KEY = "a key the witness never pinned"
    create_checkpoint()
    outcome = witness.run()
    assert outcome.status == 2 and "not validly signed by the pinned log key" in outcome.err


def test_an_unreachable_log_exits_3(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    outcome = run(
        "audit_witness",
        "http://127.0.0.1:9/",
        "--state",
        str(tmp_path / "s.json"),
        "--key",
        str(key),
        "--name",
        WITNESS_NAME,
        "--log-key",
        signing.verifier_key().encode(),
    )
    assert outcome.status == 3 and "cannot reach" in outcome.err


def test_audit_verify_refuses_a_witness_file_without_a_known_cosignature(tmp_path: Path) -> None:
    write_events(2)
    checkpoint = create_checkpoint()
    path = tmp_path / "plain.txt"
    path.write_text(checkpoint.note)  # signed by the log, cosigned by nobody
    outcome = run("audit_verify", "--witness", str(path))
    assert outcome.status == 2 and "no valid cosignature by a known witness" in outcome.err
    assert latest_checkpoint() == checkpoint
