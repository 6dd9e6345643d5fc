"""``manage.py signing_test_ca``: create the local test CA that signs PDF exports in development and CI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vault import signing_keys


class Command(BaseCommand):
    help = (
        "Create the local test CA (ECDSA P-256) for signed PDF exports in PELUIT_SIGNING_DIR, unless it exists. "
        "Not for production: set PELUIT_SIGNING_P12 to the institution's certificate there."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Replace an existing test CA.")
        parser.add_argument(
            "--p12",
            metavar="FILE",
            help="Also write the signing key and certificate as PKCS#12 (password from PELUIT_SIGNING_P12_PASSWORD).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(settings.PELUIT_SIGNING_DIR)
        files = signing_keys.TestCaFiles(directory)
        if files.complete() and not options["force"]:
            if options["verbosity"] > 1:
                self.stdout.write(f"The local test CA exists in {directory}.")
        else:
            signing_keys.create_test_ca(
                directory, organisation=str(settings.PELUIT_INSTITUTION_NAME), signer_name="Peluit PDF exports"
            )
            if options["verbosity"] > 0:
                self.stdout.write(f"Created the local test CA in {directory} (not for production).")
        if options["p12"]:
            password = os.environ.get("PELUIT_SIGNING_P12_PASSWORD", "")
            if not password:
                raise CommandError("Set PELUIT_SIGNING_P12_PASSWORD to protect the PKCS#12 file.")
            signing_keys.export_pkcs12(directory, Path(options["p12"]), password=password.encode())
            self.stdout.write(f"Wrote {options['p12']}.")
