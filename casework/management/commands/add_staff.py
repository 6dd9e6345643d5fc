"""``manage.py add_staff USERNAME --role ROLE``: create a staff account and print its otpauth URI."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from casework.staff import services, two_factor
from casework.staff.models import StaffUser
from casework.staff.roles import Role


class Command(BaseCommand):
    help = (
        "Create a staff account. The password comes from PELUIT_PASSWORD or a prompt; "
        "prints the otpauth:// URI for the authenticator app."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--name", default="", help="Full name shown in the console.")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--enrol-on-login",
            action="store_true",
            help="Create no authenticator now; the person enrols one at first login.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        if StaffUser.objects.filter(username=username).exists():
            raise CommandError(f"A staff account named {username!r} already exists.")
        password = os.environ.get("PELUIT_PASSWORD") or self._prompt_password()
        try:
            created = services.staff_create(
                username=username,
                role=options["role"],
                password=password,
                with_totp=not options["enrol_on_login"],
                full_name=options["name"],
                email=options["email"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Created {options['role']} {username!r}.")
        if created.device is None:
            self.stdout.write("No authenticator yet: it is enrolled at first login.")
            return
        self.stdout.write("Add this to an authenticator app (or: oathtool --totp -b SECRET):")
        self.stdout.write(two_factor.otpauth_uri(created.device))
        self.stdout.write(f"Secret: {two_factor.totp_secret_base32(created.device)}")

    def _prompt_password(self) -> str:
        if not os.isatty(0):
            raise CommandError("Set PELUIT_PASSWORD or run interactively to type a password.")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        return first
