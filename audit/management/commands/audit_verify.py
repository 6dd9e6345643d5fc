"""``manage.py audit_verify [--checkpoint FILE]``: check the audit log end to end.

Exit status: 0 when the log is intact (and consistent with the given checkpoint); 1 when it is not, naming
the first bad event or checkpoint; 2 when the given checkpoint file cannot be used (unreadable, malformed,
unknown key, bad signature, another log); 3 when the database holds no readable audit log (not migrated, a
table dropped, the database unreachable).
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from audit.note import NoteError
from audit.verify import CheckpointInputError, verify_external_checkpoint, verify_log

EXIT_NOT_INTACT = 1
EXIT_BAD_INPUT = 2
EXIT_NO_LOG = 3
MAX_FILE_BYTES = 1_000_000


def read_checkpoint_file(path: str) -> str:
    """Return the checkpoint text from ``path`` (``-`` for stdin); raise ``CommandError`` (exit 2) if unreadable."""
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
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not UTF-8 text", returncode=EXIT_BAD_INPUT) from None
    # Text copied from a PDF may carry surrounding blank lines or spaces at line ends.
    lines = [line.rstrip(" \t\r") for line in text.strip("\n\r\t \ufeff").split("\n")]
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "Verify every audit event, the hash chain, the Merkle tree and every signed checkpoint."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoint",
            metavar="FILE",
            help="also check that this signed checkpoint (e.g. copied from a PDF; '-' for stdin) is consistent "
            "with today's log",
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
