"""``manage.py seed_demo``: create the demo staff once and write their logins to var/demo-logins.txt."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from casework.staff import services, two_factor
from casework.staff.models import StaffUser
from casework.staff.roles import Role

# Synthetic people only. Their NIKs (when later issues add them) use an invalid region prefix.
DEMO_STAFF = [
    ("supervisor", Role.SUPERVISOR, "Sri Rahayu (demo)"),  # the first supervisor holds the escrow key
    ("supervisor2", Role.SUPERVISOR, "Hendra Gunawan (demo)"),  # a second one, to approve identity disclosures
    ("officer1", Role.OFFICER, "Budi Santoso (demo)"),
    ("officer2", Role.OFFICER, "Dewi Lestari (demo)"),
    ("auditor", Role.AUDITOR, "Agus Wibowo (demo)"),
    ("admin", Role.ADMIN, "Rina Kusuma (demo)"),
]


def logins_file() -> Path:
    """Return where the demo logins are written (git-ignored var/)."""
    return Path(settings.VAR_DIR) / "demo-logins.txt"


class Command(BaseCommand):
    help = "Create demo staff (once) and print their passwords and TOTP secrets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = logins_file()
        if StaffUser.objects.filter(username__in=[u for u, _r, _n in DEMO_STAFF]).exists():
            if not options["quiet"] and path.exists():
                self.stdout.write(path.read_text())
            return
        lines = ["Demo logins (synthetic people; for this machine only):"]
        for username, role, name in DEMO_STAFF:
            password = "demo-" + secrets.token_urlsafe(12)
            created = services.staff_create(username=username, role=role, password=password, full_name=name)
            assert created.device is not None
            secret = two_factor.totp_secret_base32(created.device)
            lines.append(f"  {username:<11} {role.value:<10} password: {password}  TOTP secret: {secret}")
        lines.append("  TOTP code now: oathtool --totp -b SECRET")
        text = "\n".join(lines) + "\n"
        path.write_text(text)
        path.chmod(0o600)
        if not options["quiet"]:
            self.stdout.write(text)
