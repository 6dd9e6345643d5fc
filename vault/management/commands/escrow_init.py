"""``manage.py escrow_init --holder USERNAME``: create the escrow key, or add a holder with the recovery code."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vault import services as vault
from vault.exceptions import VaultError
from vault.management.commands._prompts import secret_from_env_or_prompt


class Command(BaseCommand):
    help = (
        "Create the inspectorate's escrow key held by USERNAME (a supervisor with a key). If the escrow key "
        "exists already, add USERNAME as a holder; this needs the recovery code (PELUIT_RECOVERY_CODE or a prompt)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--holder", required=True, help="Username of the head of the inspectorate.")

    def handle(self, *args: Any, **options: Any) -> None:
        holder = get_user_model().objects.filter(username=options["holder"], is_active=True).first()
        if holder is None:
            raise CommandError(f"No active staff account named {options['holder']!r}.")
        try:
            if not vault.escrow_exists():
                vault.escrow_create(holder=holder, actor="system")
                self.stdout.write(f"Created the escrow key, held by {holder.username!r}.")
                self.stdout.write("Next: print the recovery sheet once with: manage.py escrow_recovery --holder ...")
                return
            code = secret_from_env_or_prompt("PELUIT_RECOVERY_CODE", "Recovery code: ")
            escrow = vault.escrow_keyring_from_recovery(recovery_code=code)
            vault.escrow_add_holder(escrow=escrow, holder=holder)
        except VaultError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"{holder.username!r} now holds the escrow key too.")
