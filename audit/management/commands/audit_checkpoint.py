"""``manage.py audit_checkpoint [--vkey]``: print the latest signed checkpoint, or the verifier key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from audit import signing
from audit.checkpoints import current_checkpoint
from audit.exceptions import AuditError


class Command(BaseCommand):
    help = (
        "Print the latest signed checkpoint (C2SP tlog-checkpoint), signing a new one first if the log has grown. "
        "With --vkey, print the verifier key in signed-note form instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--vkey", action="store_true", help="print the verifier key (name+keyid+base64 key)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["vkey"]:
            self.stdout.write(signing.verifier_key().encode())
            return
        try:
            checkpoint = current_checkpoint()
        except AuditError as error:
            raise CommandError(str(error)) from None
        except DatabaseError as error:
            raise CommandError(f"cannot read the audit log: {error}", returncode=3) from None
        self.stdout.write(checkpoint.note, ending="")
