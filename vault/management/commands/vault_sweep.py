"""``manage.py vault_sweep``: delete encrypted blobs that no committed record names (failed uploads)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vault import services as vault


class Command(BaseCommand):
    help = "Delete orphaned attachment blobs older than --hours (default 1)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=float, default=1.0)

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = vault.sweep_orphaned_blobs(older_than=timedelta(hours=options["hours"]))
        self.stdout.write(f"Deleted {deleted} orphaned blob(s).")
