"""manage.py lifecycle_rules export [--out FILE] | import FILE: the transition and deadline tables as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casework.workflow.tables import TableError, dumps, export_tables, import_tables


class Command(BaseCommand):
    help = (
        "Export the lifecycles (transitions) and deadline rules as JSON, or replace them with an edited file. "
        "The import checks every row first and changes nothing when one is wrong."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write the tables as JSON")
        export.add_argument("--out", help="file to write (default: standard output)")
        load = sub.add_parser("import", help="replace the tables with a JSON file (as export writes it)")
        load.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            text = dumps(export_tables()) + "\n"
            if options.get("out"):
                Path(options["out"]).write_text(text, encoding="utf-8")
            else:
                sys.stdout.write(text)
            return
        try:
            document = json.loads(Path(options["file"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}") from exc
        try:
            transitions, rules = import_tables(document=document)
        except TableError as exc:
            raise CommandError(f"nothing changed: {exc}") from exc
        self.stdout.write(f"imported {transitions} transitions and {rules} deadline rules")
