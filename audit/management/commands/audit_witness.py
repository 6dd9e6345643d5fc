"""``manage.py audit_witness URL``: witness another institution's Peluit audit log (run on the witness's machine).

Exit status: 0 when the log's new checkpoint was checked and cosigned; 1 when the log FORKED (it no longer
extends the checkpoint cosigned last: a tail was rewritten or removed, or time went backwards), with the two
checkpoints kept as evidence next to the state file; 2 when the answer or the arguments cannot be used
(malformed checkpoint, wrong signature, another log, no log key pinned); 3 when the log or the witness's
files cannot be read. See audit/witness.py and docs/audit.md.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import signing, witness


def _default_state(base_url: str) -> Path:
    digest = hashlib.sha256(base_url.encode()).hexdigest()[:12]
    return Path(settings.VAR_DIR) / "witness" / f"log-{digest}.json"


class Command(BaseCommand):
    help = (
        "Fetch a Peluit audit log's latest checkpoint from URL, check its signature and its consistency with the "
        "checkpoint cosigned last, cosign it (C2SP tlog-cosignature) and send the cosignature back. Exit 1 on a fork."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", nargs="?", help="the log's base URL, e.g. https://wbs.example.go.id")
        parser.add_argument("--log-key", help="the log's verifier key (its `audit_checkpoint --vkey`); first run only")
        parser.add_argument("--state", help="the state file (default: var/witness/log-<hash of URL>.json)")
        parser.add_argument("--key", help="the witness key file (default: var/witness/key.json, made on first use)")
        parser.add_argument("--name", help="the witness's name, e.g. inspektorat.example.go.id/witness (first use)")
        parser.add_argument("--vkey", action="store_true", help="print the witness's verifier key and stop")
        parser.add_argument("--no-submit", action="store_true", help="do not send the cosignature to the log")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._run(options)
        except witness.WitnessError as error:
            label = "FORK" if isinstance(error, witness.ForkDetected) else "ERROR"
            raise CommandError(f"{label}: {error}", returncode=error.exit_status) from None

    def _run(self, options: dict[str, Any]) -> None:
        key_path = Path(options["key"] or Path(settings.VAR_DIR) / "witness" / "key.json")
        key = witness.load_or_create_key(key_path, name=options["name"])
        if options["vkey"]:
            self.stdout.write(key.verifier.encode())
            return
        if not options["url"]:
            raise witness.UnusableAnswer("give the log's URL")
        base_url = witness.log_base_url(options["url"])
        state_path = Path(options["state"] or _default_state(base_url))
        state = witness.load_state(state_path)
        log_key = self._log_key(state, options["log_key"])
        try:
            result = witness.check_and_cosign(
                base_url=base_url, key=key, state=state, log_key=log_key, now=int(time.time())
            )
        except witness.ForkDetected as fork:
            if state is not None:
                evidence = witness.write_evidence(state_path, state, fork)
                self.stderr.write(f"The two checkpoints that prove it are in {evidence}")
            raise
        witness.save_state(state_path, result.state)
        self.stdout.write(f"OK: {result.summary}")
        self.stdout.write(result.cosigned_note, ending="")
        if not options["no_submit"]:
            self.stderr.write(f"Cosignature sent to the log: {witness.submit(base_url, result.cosigned_note)}")

    def _log_key(self, state: witness.WitnessState | None, given: str | None) -> signing.VerifierKey:
        pinned = state.log_key if state is not None else None
        if pinned and given and given.strip() != pinned:
            raise witness.UnusableAnswer(
                "--log-key differs from the key pinned in the state file; a log does not change its key silently"
            )
        text = pinned or given
        if not text:
            raise witness.UnusableAnswer("first run: give the log's verifier key with --log-key")
        try:
            return signing.parse_verifier_key(text)
        except signing.VerifierKeyError as error:
            raise witness.UnusableAnswer(f"the log key is not a verifier key: {error}") from None
