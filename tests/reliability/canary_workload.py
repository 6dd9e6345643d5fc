"""Workload for the confidentiality canary test, run in a subprocess against a file-backed database.

Usage: python tests/reliability/canary_workload.py CANARY
The environment chooses the database (DATABASE_URL), media root, var dir (logs) and the KDF profile.
Every piece of reporter data carries CANARY; afterwards the test scans what this process left behind.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from casework.staff import services as staff_services  # noqa: E402
from vault import services as vault  # noqa: E402
from vault.exceptions import CorruptCiphertext  # noqa: E402

PASSWORD = "canary test passphrase 1"


def main(canary: str) -> None:
    """Seal reports with the canary everywhere, then use them the ways the application does."""
    call_command("migrate", verbosity=0, interactive=False)
    head = staff_services.staff_create(username="kepala", role="supervisor", password=PASSWORD).user
    officer = staff_services.staff_create(username="petugas", role="officer", password=PASSWORD).user
    colleague = staff_services.staff_create(username="rekan", role="officer", password=PASSWORD).user
    marked = canary.encode("utf-8")
    for number in range(2):
        report_id = uuid.uuid4()
        identity = b'{"name": "%s", "nik": "%s", "phone": "%s"}' % (marked, marked, marked)
        new = vault.seal_report(report_id=report_id, recipients=[officer], identity=identity)
        content = vault.seal(
            access=new.access, report_id=report_id, purpose="report", plaintext=b"apa: %s siapa: %s" % (marked, marked)
        )
        message = vault.seal(access=new.access, report_id=report_id, purpose="message:1", plaintext=marked * 3)
        name = vault.seal(
            access=new.access, report_id=report_id, purpose="attachment-name:1", plaintext=marked + b".pdf"
        )
        # The canary sits at the start, across the first 64 KiB chunk boundary, and at the end.
        body = marked + b"x" * (64 * 1024 - len(marked) // 2) + marked + b"y" * 100_000 + marked
        stored = vault.store_attachment(
            access=new.access, report_id=report_id, chunks=[body[i : i + 7000] for i in range(0, len(body), 7000)]
        )
        # A file held across a form error: sealed under the form's token (which carries the canary too, to
        # show the token is not stored in clear), its name inside the sealed description.
        token = f"{canary}-form-token-{number}"
        held = vault.hold_file(token=token, chunks=[body], label=b'{"name": "%s.pdf"}' % marked)
        assert b"".join(vault.open_held_file(token=token, held_id=held.id)) == body
        assert vault.held_files(token=token)[0].label.count(marked) == 1
        # Keep ciphertexts somewhere a dump sees them: a vault row stands in for the case model here.
        with transaction.atomic():
            from vault.models import SealedIdentity

            SealedIdentity.objects.create(report_id=uuid.uuid4(), ciphertext=content + message + name)
        # Officers and the reporter read it back; a grant, an escrow re-grant, a follow-up session.
        keyring = vault.unlock_keyring(user=officer, password=PASSWORD)
        assert vault.open(access=keyring, report_id=report_id, purpose="report", ciphertext=content).count(marked) == 2
        assert b"".join(vault.open_attachment(access=keyring, report_id=report_id, name=stored.name)) == body
        vault.grant_case(report_id=report_id, keyring=keyring, officer=colleague)
        escrow = vault.escrow_keyring_for(keyring=vault.unlock_keyring(user=head, password=PASSWORD))
        assert marked in vault.open_identity(access=escrow, report_id=report_id)
        vault.grant_identity(report_id=report_id, escrow=escrow, officer=officer)
        cookie = vault.followup_begin(access=vault.reporter_access(receipt=new.receipt))
        access = vault.followup_resume(cookie_value=cookie)
        vault.seal(access=access, report_id=report_id, purpose="message:2", plaintext=marked)
        if number == 0:
            try:  # a failure path, which logs
                vault.open(
                    access=keyring,
                    report_id=report_id,
                    purpose="report",
                    ciphertext=content[:-1] + bytes([content[-1] ^ 1]),
                )
            except CorruptCiphertext:
                pass
    print("workload done")


if __name__ == "__main__":
    main(sys.argv[1])
