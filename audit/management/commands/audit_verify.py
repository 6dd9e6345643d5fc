"""``manage.py audit_verify [--checkpoint FILE] [--witness FILE ...]``: check the audit log end to end.

Exit status: 0 when the log is intact (and consistent with the given checkpoint and witnessed checkpoints); 1
when it is not, naming the first bad event or checkpoint (a witnessed checkpoint the log no longer extends, time
going backwards, and a checkpoint row whose unsigned ``created_at`` is not when its note was signed, included); 2
when a given file cannot be used (unreadable, malformed, unknown key, bad signature, another log, no cosignature
by a known witness); 3 when the database holds no readable audit log (not migrated, a table dropped, the database
unreachable).
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from audit.note import NoteError
from audit.verify import (
    CheckpointInputError,
    WitnessedResult,
    verify_external_checkpoint,
    verify_log,
    verify_witnessed_checkpoint,
)

EXIT_NOT_INTACT = 1
EXIT_BAD_INPUT = 2
EXIT_NO_LOG = 3
MAX_FILE_BYTES = 1_000_000


def read_text_file(path: str) -> str:
    """Return the text of ``path`` (``-`` for stdin); raise ``CommandError`` (exit 2) if unreadable or too large."""
    try:
        if path == "-":
            raw = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror or error}", returncode=EXIT_BAD_INPUT) from None
    if len(raw) > MAX_FILE_BYTES:
        raise CommandError(f"{path} is too large to be a checkpoint", returncode=EXIT_BAD_INPUT)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not UTF-8 text", returncode=EXIT_BAD_INPUT) from None


def normalise_note(text: str) -> str:
    """Return note text without what copying from a PDF adds: surrounding blank lines, spaces at line ends."""
    lines = [line.rstrip(" \t\r") for line in text.strip("\n\r\t \ufeff").split("\n")]
    return "\n".join(lines) + "\n"


def read_checkpoint_file(path: str) -> str:
    """Return the checkpoint text from ``path`` (``-`` for stdin); raise ``CommandError`` (exit 2) if unreadable."""
    return normalise_note(read_text_file(path))


class Command(BaseCommand):
    help = "Verify every audit event, the hash chain, the Merkle tree and every signed checkpoint."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoint",
            metavar="FILE",
            help="also check that this signed checkpoint (e.g. copied from a PDF; '-' for stdin) is consistent "
            "with today's log",
        )
        parser.add_argument(
            "--witness",
            metavar="FILE",
            action="append",
            default=[],
            help="also check a checkpoint cosigned by a witness (the witness's state file from `audit_witness`, or "
            "its cosigned note): today's log must extend it and time must not go backwards; may be repeated",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._verify(options)
        except DatabaseError as error:
            raise CommandError(f"cannot read the audit log: {error}", returncode=EXIT_NO_LOG) from None

    def _verify(self, options: dict[str, Any]) -> None:
        external = None
        if options.get("checkpoint"):
            note = read_checkpoint_file(options["checkpoint"])
            try:
                external = verify_external_checkpoint(note)
            except (NoteError, CheckpointInputError) as error:
                raise CommandError(f"unusable checkpoint: {error}", returncode=EXIT_BAD_INPUT) from None
        witnessed = [self._witnessed(path) for path in options.get("witness") or []]
        report = verify_log()
        if not report.intact:
            for problem in report.problems:
                self.stderr.write(f"FAIL: {problem.message}")
            raise CommandError(
                f"the audit log is NOT intact; first problem: {report.problems[0].message}",
                returncode=EXIT_NOT_INTACT,
            )
        self.stdout.write(
            f"OK: {report.events} events, {report.checkpoints} checkpoints verified in {report.seconds:.2f} s; "
            f"root {report.root_hash.hex()}"
        )
        if external is not None:
            if not external.consistent:
                raise CommandError(external.message, returncode=EXIT_NOT_INTACT)
            self.stdout.write(f"OK: {external.message}")
        for path, result in witnessed:
            if not result.intact:
                reason = result.external.message if not result.external.consistent else result.problems[0]
                raise CommandError(f"the witnessed checkpoint in {path}: {reason}", returncode=EXIT_NOT_INTACT)
            self.stdout.write(f"OK: witnessed by {', '.join(result.witnesses)}: {result.external.message}")

    def _witnessed(self, path: str) -> tuple[str, WitnessedResult]:
        try:
            text = read_text_file(path)
            if not text.lstrip().startswith("{"):  # a note rather than a witness state file
                text = normalise_note(text)
            return path, verify_witnessed_checkpoint(text)
        except (NoteError, CheckpointInputError) as error:
            raise CommandError(f"unusable witnessed checkpoint {path}: {error}", returncode=EXIT_BAD_INPUT) from None
