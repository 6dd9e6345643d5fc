"""``manage.py escrow_recovery --holder USERNAME``: print the escrow recovery code, once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vault import services as vault
from vault.exceptions import VaultError
from vault.management.commands._prompts import secret_from_env_or_prompt


class Command(BaseCommand):
    help = (
        "Wrap the escrow key under a new recovery code and print it once, for a sealed envelope in the safe. "
        "The holder's password comes from PELUIT_PASSWORD or a prompt. Refuses if a sheet exists, unless --replace."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--holder", required=True, help="Username of an escrow key holder.")
        parser.add_argument(
            "--replace", action="store_true", help="Issue a new sheet; the old recovery code stops working."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        holder = get_user_model().objects.filter(username=options["holder"], is_active=True).first()
        if holder is None:
            raise CommandError(f"No active staff account named {options['holder']!r}.")
        password = secret_from_env_or_prompt("PELUIT_PASSWORD", f"Password of {holder.username}: ")
        try:
            keyring = vault.unlock_keyring(user=holder, password=password)
            escrow = vault.escrow_keyring_for(keyring=keyring)
            code = vault.escrow_issue_recovery(escrow=escrow, replace=options["replace"])
        except VaultError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write("ESCROW RECOVERY CODE (shown once; print it, seal it, keep it in the safe):")
        self.stdout.write("")
        self.stdout.write(f"    {code}")
        self.stdout.write("")
        self.stdout.write(
            "With it, manage.py escrow_init --holder USERNAME makes a new holder if all holders are gone."
        )
