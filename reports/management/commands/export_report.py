"""``manage.py export_report KIND --out FILE.pdf``: the same signed PDF the console makes.

Content kinds (dossier, kpk-forwarding, forwarding) act as the staff member named by ``--as``, who proves it
with their password and current TOTP code (asked on the terminal, or read from ``PELUIT_PASSWORD`` and
``PELUIT_TOTP``); their key opens the cases. The file appears whole or not at all: it is built in memory and
written through a nameless temporary file (``O_TMPFILE``) that gets its name only when complete.
"""

from __future__ import annotations

import getpass
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from casework.models import Organisation, StaffUser
from casework.staff import two_factor
from reports import transparency
from reports.exceptions import ReportError
from reports.kinds import CONTENT_KINDS, Authority, ExportKind, parse_kind
from reports.periods import make_period
from reports.redaction import RedactionError, parse_passages
from reports.services import ExportRequest, make_export
from vault import services as vault
from vault.access import Keyring
from vault.exceptions import VaultError


def _nameless_then_named(directory: Path, data: bytes, mode: int, temporary: Path) -> bool:
    """Write ``data`` into a nameless file (``O_TMPFILE``) and link it as ``temporary`` once complete.

    Return False when the file system or kernel cannot do it (the caller then writes ``temporary`` itself).
    """
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag:
        return False
    try:
        fd = os.open(directory, flag | os.O_WRONLY, mode)
    except OSError:
        return False
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        # linkat(AT_SYMLINK_FOLLOW) on /proc/self/fd/N names the file; CPython passes that flag only when a
        # directory fd is given, hence src_dir_fd.
        proc_fds = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.link(str(fd), temporary, src_dir_fd=proc_fds, follow_symlinks=True)
        finally:
            os.close(proc_fds)
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def write_whole(path: Path, data: bytes, *, private: bool) -> None:
    """Write ``data`` to ``path`` so that the path holds either the old file or the whole new one.

    The bytes go into a nameless file in the target directory (``O_TMPFILE``), which gets a random name only
    once complete and is then renamed over ``path``: an error or a crash while writing leaves nothing behind.
    """
    mode = 0o600 if private else 0o644
    temporary = path.parent / f".{path.name}.{secrets.token_hex(6)}.part"
    try:
        if not _nameless_then_named(path.parent, data, mode, temporary):
            with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as handle:
                handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


class Command(BaseCommand):
    help = (
        "Export a signed PDF report: recap, audit-trail, dossier, kpk-forwarding, forwarding, annual (--year) "
        "or service-standard."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "kind", help="recap, audit-trail, dossier, kpk-forwarding, forwarding, annual or service-standard"
        )
        parser.add_argument("--year", default="", help="Annual: the year (YYYY) of the transparency figures.")
        parser.add_argument("--out", required=True, help="Where to write the PDF.")
        parser.add_argument("--from", dest="date_from", help="First day of the period (YYYY-MM-DD).")
        parser.add_argument("--to", dest="date_to", help="Last day of the period (YYYY-MM-DD).")
        parser.add_argument("--case", default="", help="Case number (dossier, forwarding; optional for audit-trail).")
        parser.add_argument("--as", dest="username", default="", help="Act as this staff member (content kinds).")
        parser.add_argument("--kind-of-report", dest="case_kind", default="", help="Recap: only wbs or gratification.")
        parser.add_argument("--organisation", default="", help="Recap: only this organisation (its code).")
        parser.add_argument("--authority", default="", help="Forwarding: kpk, kejaksaan, polri or apip.")
        parser.add_argument("--reference", default="", help="Forwarding: the letter's reference.")
        parser.add_argument("--parts", default="", help="Forwarding: comma-separated parts (default: everything).")
        parser.add_argument(
            "--redact", default="", help="Forwarding: a file with the passages to redact, one per line."
        )
        parser.add_argument("--language", default="id", choices=["id", "en"], help="Language of the PDF (default id).")

    def _authenticate(self, username: str) -> tuple[StaffUser, Keyring | None]:
        user = StaffUser.objects.filter(username=username, is_active=True).first()
        password = os.environ.get("PELUIT_PASSWORD")
        if password is None:
            password = getpass.getpass(f"Password for {username}: ")
        code = os.environ.get("PELUIT_TOTP")
        if code is None:
            sys.stderr.write(f"Authenticator code for {username}: ")
            sys.stderr.flush()
            code = sys.stdin.readline().strip()
        # The same answer for an unknown user and a wrong password (usernames are not disclosed).
        if user is None or not user.check_password(password):
            raise CommandError("Wrong username or password.")
        if two_factor.verify_code(user, code).device is None:
            raise CommandError("Wrong or already used authenticator code.")
        keyring = None
        if vault.has_officer_key(user=user):
            try:
                keyring = vault.unlock_keyring(user=user, password=password)
            except VaultError:
                keyring = None  # roles without case keys (auditors): content kinds will refuse
        return user, keyring

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            kind = parse_kind(options["kind"])
        except ReportError as exc:
            raise CommandError(exc.message) from None
        out = Path(options["out"]).expanduser()
        if not out.parent.is_dir():
            raise CommandError(f"The directory {out.parent} does not exist.")
        if out.is_dir():
            raise CommandError(f"{out} is a directory; give a file name.")
        if kind in CONTENT_KINDS and not options["username"]:
            raise CommandError(f"{kind.value} holds report content: name the staff member with --as USERNAME.")
        with translation.override(options["language"]):
            request = self._request(kind, options)
            actor: StaffUser | str = "system"
            keyring = None
            if options["username"]:
                actor, keyring = self._authenticate(options["username"])
            try:
                result = make_export(request=request, actor=actor, keyring=keyring, language=options["language"])
            except ReportError as exc:
                raise CommandError(exc.message) from None
            except VaultError as exc:
                raise CommandError(exc.message) from None
        try:
            write_whole(out, result.signed.data, private=kind in CONTENT_KINDS)
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror}") from None
        self.stdout.write(
            f"Wrote {out} ({len(result.signed.data)} bytes, PAdES {result.signed.level}, "
            f"SHA-256 {result.signed.sha256}); audit event #{result.event.seq}."
        )

    def _request(self, kind: ExportKind, options: dict[str, Any]) -> ExportRequest:
        if kind == ExportKind.ANNUAL:
            try:
                year_period = transparency.public_period(options["year"])
            except transparency.UnknownPeriod:
                years = ", ".join(str(y) for y in transparency.published_years()) or "none"
                raise CommandError(
                    f"--year must be a published year (the current one from its second month); published: {years}."
                ) from None
            return ExportRequest(kind=kind, period=year_period)
        try:
            period = None
            if kind in (ExportKind.RECAP, ExportKind.KPK_FORWARDING) or options["date_from"] or options["date_to"]:
                period = make_period(options["date_from"], options["date_to"])
            elif kind == ExportKind.AUDIT_TRAIL and not options["case"]:
                period = make_period(None, None)
        except ReportError as exc:
            raise CommandError(exc.message) from None
        organisation = None
        if options["organisation"]:
            organisation = Organisation.objects.filter(code=options["organisation"]).first()
            if organisation is None:
                raise CommandError(f"Unknown organisation code {options['organisation']!r}.")
        passages: list[str] = []
        if options["redact"]:
            try:
                passages = parse_passages(Path(options["redact"]).read_text(encoding="utf-8"))
            except OSError as exc:
                raise CommandError(f"Cannot read {options['redact']}: {exc.strerror}") from None
            except RedactionError as exc:
                raise CommandError(str(exc)) from None
        if kind == ExportKind.FORWARDING and options["authority"] not in Authority.values:
            raise CommandError("--authority must be one of: " + ", ".join(Authority.values))
        parts = tuple(p.strip() for p in options["parts"].split(",") if p.strip())
        return ExportRequest(
            kind=kind,
            period=period,
            case_ref=options["case"].strip(),
            case_kind=options["case_kind"],
            organisation=organisation,
            authority=options["authority"],
            reference=options["reference"],
            parts=parts or ("*",),
            passages=tuple(passages),
        )
