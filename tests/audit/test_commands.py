"""``manage.py audit_verify [--checkpoint FILE]`` and ``manage.py audit_checkpoint [--vkey]``: results, exit
status and clear messages on bad input (never a traceback)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from audit import signing
from audit.models import AuditCheckpoint
from audit.note import CheckpointBody, checkpoint_text, signature_line, signed_note
from tests.audit.helpers import run, skip_unless, write_events

pytestmark = pytest.mark.django_db


def note_for(size: int, root: bytes, *, origin: str | None = None) -> str:
    """Return a checkpoint for any size and root, signed with this installation's real key."""
    verifier = signing.verifier_key()
    text = checkpoint_text(CheckpointBody(origin=origin or verifier.name, tree_size=size, root_hash=root))
    return signed_note(text, [signature_line(verifier.name, verifier.key_id, signing.log_signer().sign(text.encode()))])


@pytest.fixture
def checkpoint_file(tmp_path: Path) -> Path:
    write_events(5)
    outcome = run("audit_checkpoint")
    assert outcome.status == 0
    path = tmp_path / "checkpoint.txt"
    path.write_text(outcome.out)
    return path


def test_audit_checkpoint_prints_the_note_and_signs_only_when_grown(checkpoint_file: Path) -> None:
    note = checkpoint_file.read_text()
    lines = note.split("\n")
    assert lines[0] == settings.PELUIT_AUDIT_ORIGIN and lines[1] == "6" and lines[4] == ""
    assert lines[5].startswith("\u2014 " + settings.PELUIT_AUDIT_ORIGIN + " ")
    assert run("audit_checkpoint").out == note  # nothing new: the same checkpoint
    assert AuditCheckpoint.objects.count() == 1


def test_vkey_is_the_signed_note_verifier_key() -> None:
    outcome = run("audit_checkpoint", "--vkey")
    assert outcome.status == 0
    vkey = outcome.out.strip()
    assert signing.parse_verifier_key(vkey) == signing.verifier_key()
    name, key_id, key = vkey.split("+", 2)
    assert name == settings.PELUIT_AUDIT_ORIGIN and len(key_id) == 8 and base64.b64decode(key)[0] == 1


def test_held_checkpoint_is_consistent_with_a_grown_log(checkpoint_file: Path) -> None:
    write_events(7)
    outcome = run("audit_verify", "--checkpoint", str(checkpoint_file))
    assert outcome.status == 0, outcome
    assert "checkpoint of tree size 6 is consistent with today's log of 13 events" in outcome.out


def test_checkpoint_copied_from_a_pdf_with_stray_whitespace_is_accepted(checkpoint_file: Path) -> None:
    text = "\n\n" + checkpoint_file.read_text().replace("\n", "  \n") + "\n\n"
    checkpoint_file.write_text(text)
    assert run("audit_verify", "--checkpoint", str(checkpoint_file)).status == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a checkpoint at all", "unusable checkpoint"),
        (b"\xff\xfe\x00garbage", "is not UTF-8 text"),
        (b"", "unusable checkpoint"),
        (b"x" * 1_000_001, "too large"),
    ],
)
def test_malformed_files_exit_2(tmp_path: Path, content: bytes, message: str) -> None:
    write_events(1)
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    outcome = run("audit_verify", "--checkpoint", str(path))
    assert outcome.status == 2
    assert message in outcome.err


def test_missing_file_exits_2(tmp_path: Path) -> None:
    outcome = run("audit_verify", "--checkpoint", str(tmp_path / "nowhere.txt"))
    assert outcome.status == 2 and "cannot read" in outcome.err


def test_checkpoint_signed_by_an_unknown_key_exits_2(checkpoint_file: Path, settings: pytest.FixtureRequest) -> None:
    settings.PELUIT_CHECKPOINT_KEY = "a different installation"  # type: ignore[attr-defined]
    outcome = run("audit_verify", "--checkpoint", str(checkpoint_file))
    assert outcome.status == 2
    assert "signed by an unknown key" in outcome.err and "this log's key is" in outcome.err


def test_altered_checkpoint_exits_2(checkpoint_file: Path) -> None:
    checkpoint_file.write_text(checkpoint_file.read_text().replace("\n6\n", "\n5\n", 1))
    outcome = run("audit_verify", "--checkpoint", str(checkpoint_file))
    assert outcome.status == 2 and "signature does not verify" in outcome.err


def test_checkpoint_of_another_log_exits_2(tmp_path: Path) -> None:
    write_events(1)
    path = tmp_path / "other.txt"
    path.write_text(note_for(1, bytes(32), origin="example.com/other-log"))
    outcome = run("audit_verify", "--checkpoint", str(path))
    assert outcome.status == 2 and "another log" in outcome.err


def test_log_shorter_than_the_checkpoint_exits_1(tmp_path: Path) -> None:
    write_events(3)
    path = tmp_path / "future.txt"
    path.write_text(note_for(10, bytes(32)))
    outcome = run("audit_verify", "--checkpoint", str(path))
    assert outcome.status == 1
    assert "the log is shorter than the checkpoint: it has 3 events, the checkpoint covers 10" in outcome.err


def test_checkpoint_whose_root_differs_exits_1(tmp_path: Path) -> None:
    write_events(3)
    path = tmp_path / "forked.txt"
    path.write_text(note_for(2, bytes(32)))
    outcome = run("audit_verify", "--checkpoint", str(path))
    assert outcome.status == 1 and "does not match the checkpoint" in outcome.err


WITNESS = "inspektorat.kota-lain.go.id/witness"

EDITED_ROWS = [
    # (an edit behind the log's back, which database, what audit_verify names first)
    ("audit_auditcheckpoint SET note = 'not a signed note' WHERE tree_size = {new}", "any", "checkpoint of tree size"),
    ("audit_auditcheckpoint SET note = note || x'ff' WHERE tree_size = {new}", "sqlite", "cannot be read"),
    ("audit_auditcheckpoint SET note = x'00' WHERE tree_size = {new}", "sqlite", "cannot be read"),
    ("audit_auditcheckpoint SET tree_size = 'abc' WHERE tree_size = {new}", "sqlite", "cannot be read"),
    ("audit_auditcheckpoint SET tree_size = CAST(x'ff' AS TEXT) WHERE tree_size = {new}", "sqlite", "cannot be read"),
]


@pytest.mark.parametrize(("edit", "vendor", "named"), EDITED_ROWS)
def test_a_witnessed_check_over_edited_rows_exits_1_with_a_message(
    tmp_path: Path, settings: pytest.FixtureRequest, edit: str, vendor: str, named: str
) -> None:
    """``--witness`` reads the stored checkpoints and times as the rest of audit_verify does: an edited row is
    named (exit 1), never a traceback, and never blamed on the witness's file (exit 2)."""

    from audit.checkpoints import create_checkpoint
    from audit.note import parse_signed_note
    from tests.audit.helpers import tamper
    from vault.checkpoint_signer import Ed25519Signer

    skip_unless(vendor)
    signer = Ed25519Signer.from_secret("witness secret", purpose="witness")
    key = signing.VerifierKey(WITNESS, signer.public_key(), signing.COSIGNATURE_ED25519)
    settings.PELUIT_AUDIT_WITNESSES = [key.encode()]  # type: ignore[attr-defined]
    write_events(3)
    old = create_checkpoint()
    write_events(2)
    new = create_checkpoint()
    path = tmp_path / "witnessed.txt"
    text = parse_signed_note(old.note).text
    path.write_text(old.note + signing.cosign(text, signer=signer, name=WITNESS, timestamp=1_750_000_000))
    assert run("audit_verify", "--witness", str(path)).status == 0
    tamper(f"UPDATE {edit.format(new=new.tree_size)}")
    outcome = run("audit_verify", "--witness", str(path))
    assert outcome.status == 1, outcome
    assert "Traceback" not in outcome.err
    assert "the audit log is NOT intact; first problem:" in outcome.err and named in outcome.err, outcome.err


CREATED_AT_EDITS = [
    # (what a checkpoint row's created_at is set to, which database, how audit_verify names it)
    ("'2020-01-01 00:00:00'", "any", "its row's created_at (2020-01-01T00:00:00Z) is not when its note was signed"),
    ("'9999-12-31 23:59:59'", "any", "its row's created_at (9999-12-31T23:59:59Z) is not when its note was signed"),
    ("'infinity'", "any", "its row's created_at cannot be read as a time and is not when its note was signed"),
    ("CAST(x'ff' AS TEXT)", "sqlite", "its row's created_at cannot be read as a time"),  # text that is not UTF-8
    ("'abc'", "sqlite", "its row's created_at cannot be read as a time"),
    ("'2026-13-01 00:00:00'", "sqlite", "its row's created_at cannot be read as a time"),  # no such month
    ("5", "sqlite", "its row's created_at cannot be read as a time"),
    ("x'00'", "sqlite", "its row's created_at cannot be read as a time"),
]


@pytest.mark.parametrize(("value", "vendor", "named"), CREATED_AT_EDITS)
def test_a_checkpoint_row_whose_created_at_was_altered_exits_1_naming_it(value: str, vendor: str, named: str) -> None:
    """``created_at`` is not in the signed note, but it is the row's record of when the note was signed: edited
    into another time or into no time at all, the row is named (exit 1), never a traceback."""
    from audit.checkpoints import create_checkpoint
    from tests.audit.helpers import tamper

    skip_unless(vendor)
    write_events(3)
    checkpoint = create_checkpoint()
    write_events(2)
    create_checkpoint()
    assert run("audit_verify").status == 0
    tamper(f"UPDATE audit_auditcheckpoint SET created_at = {value} WHERE id = %s", [checkpoint.pk])  # noqa: S608
    outcome = run("audit_verify")
    assert outcome.status == 1, outcome
    assert "Traceback" not in outcome.err
    assert f"first problem: checkpoint of tree size {checkpoint.tree_size}: {named}" in outcome.err, outcome.err
    assert outcome.err.count("FAIL: ") == 1, outcome.err  # only that row


@pytest.mark.parametrize(("seconds", "status"), [(30, 0), (-30, 0), (90, 1), (-90, 1)])
def test_a_checkpoint_row_may_differ_from_its_signed_time_by_less_than_a_minute(seconds: int, status: int) -> None:
    """The note's time has whole seconds, the row's ``created_at`` does not: within ``TIME_TOLERANCE`` (a minute,
    as the console's banner) is no edit."""
    from datetime import UTC, timedelta

    from audit.checkpoints import create_checkpoint
    from audit.verify import TIME_TOLERANCE
    from tests.audit.helpers import tamper

    assert timedelta(seconds=30) < TIME_TOLERANCE < timedelta(seconds=90)
    write_events(3)
    checkpoint = create_checkpoint()
    moved = (checkpoint.created_at + timedelta(seconds=seconds)).astimezone(UTC)
    tamper(
        "UPDATE audit_auditcheckpoint SET created_at = %s WHERE id = %s",
        [moved.strftime("%Y-%m-%d %H:%M:%S.%f"), checkpoint.pk],
    )
    outcome = run("audit_verify")
    assert outcome.status == status, outcome
    if status:
        assert f"checkpoint of tree size 4: its row's created_at ({moved:%Y-%m-%dT%H:%M:%SZ})" in outcome.err


def test_manage_py_gives_a_message_not_a_traceback(tmp_path: Path) -> None:
    """The real command line, on its own fresh SQLite database: bad input exits 2 with one clear line."""
    env = {
        **os.environ,
        "PELUIT_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "PELUIT_CHECKPOINT_KEY": "cli test key",
    }
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, capture_output=True, timeout=120)
    bad = tmp_path / "bad.txt"
    bad.write_text("origin\n1\nnot base64\n\n\u2014 origin AAAA\n")
    result = subprocess.run(
        [*manage, "audit_verify", "--checkpoint", str(bad)], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "unusable checkpoint" in result.stderr
    result = subprocess.run([*manage, "audit_verify"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("OK: 0 events")


def test_empty_tree_checkpoint_is_consistent_with_any_log(tmp_path: Path) -> None:
    from audit import merkle

    write_events(2)
    path = tmp_path / "empty.txt"
    path.write_text(note_for(0, merkle.EMPTY_ROOT))
    outcome = run("audit_verify", "--checkpoint", str(path))
    assert outcome.status == 0, outcome
    assert "tree size 0 is consistent with today's log of 2 events" in outcome.out


def test_many_checkpoints_are_all_checked() -> None:
    from audit.checkpoints import create_checkpoint
    from audit.verify import verify_log

    for _ in range(30):
        write_events(1)
        create_checkpoint()
    report = verify_log()
    assert report.intact and report.checkpoints == 30 and report.events == 60
    assert sorted(report.roots) == [0, *range(2, 61, 2)]  # the empty tree and every checkpoint size


@pytest.mark.parametrize("command", [["audit_verify"], ["audit_checkpoint"]])
def test_a_database_without_the_audit_log_gives_a_message_not_a_traceback(tmp_path: Path, command: list[str]) -> None:
    """A database that was never migrated (or whose audit table was dropped): exit 3, one clear line."""
    env = {
        **os.environ,
        "PELUIT_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "PELUIT_CHECKPOINT_KEY": "cli test key",
    }
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    result = subprocess.run([*manage, *command], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr and "cannot read the audit log" in result.stderr
