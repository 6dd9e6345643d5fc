"""C2SP signed notes and tlog-checkpoint bodies: formatting and strict parsing. Pure Python, no Django.

Each ``NoteError`` message is marked for the translation catalogs (``gettext_noop``); its text is English, and
``NoteError.translated`` gives it in the language of a request (a witness's, on ``/audit/cosignature``).

A checkpoint as Peluit writes it::

    inspektorat.semarangkota.go.id/peluit/audit      <- origin
    42                                               <- tree size
    qUXlUO1pVYZ5H9k4p2hZ8o0Q4j5W3Y6m1Y2nZ0pY3bQ=     <- base64 root hash (RFC 6962)
    time 2026-11-27T18:40:00Z                        <- one extension line: when it was signed
                                                     <- blank line
    — inspektorat.semarangkota.go.id/peluit/audit AbCd...   <- base64(key id (4 bytes) || Ed25519 signature)

The signature covers the note text: every line up to and including the newline before the blank line.
See https://c2sp.org/signed-note and https://c2sp.org/tlog-checkpoint.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

EM_DASH = "\u2014"
MAX_NOTE_BYTES = 1_000_000
TIME_PREFIX = "time "
_SIZE = re.compile(r"^(0|[1-9][0-9]{0,18})$")
_TIME = "%Y-%m-%dT%H:%M:%SZ"


def gettext_noop(message: str) -> str:
    """Return ``message`` as it is: marks it for the catalogs (``makemessages`` knows the name), without Django."""
    return message


class NoteError(ValueError):
    """Text that is not a well-formed signed note or checkpoint; the message says what is wrong.

    ``str(error)`` is English (commands, logs). ``message`` is the marked text and ``params`` the values to
    put into its ``%(name)s`` placeholders; ``translated`` fills them into the translation.
    """

    def __init__(self, message: str, **params: str) -> None:
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)

    def translated(self, gettext: Callable[[str], str]) -> str:
        """Return the message in the language ``gettext`` translates into (the active one, for Django's)."""
        text = gettext(self.message)
        return text % self.params if self.params else text


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: the key name, the 4-byte key id and the signature bytes."""

    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True)
class SignedNote:
    """A parsed signed note: the signed text and its signature lines."""

    text: str
    signatures: tuple[NoteSignature, ...]


@dataclass(frozen=True)
class CheckpointBody:
    """The content of a checkpoint: origin, tree size, root hash and extension lines."""

    origin: str
    tree_size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    @property
    def signed_at(self) -> datetime | None:
        """Return the time from a ``time ...`` extension line, if there is one."""
        for line in self.extensions:
            if line.startswith(TIME_PREFIX):
                try:
                    return datetime.strptime(line[len(TIME_PREFIX) :], _TIME).replace(tzinfo=UTC)
                except ValueError:
                    return None
        return None


def format_time(moment: datetime) -> str:
    """Return the ``time`` extension line for ``moment`` (UTC, whole seconds)."""
    return TIME_PREFIX + moment.astimezone(UTC).strftime(_TIME)


def checkpoint_text(body: CheckpointBody) -> str:
    """Return the note text of a checkpoint (ends with a newline)."""
    if not body.origin or "\n" in body.origin:
        raise NoteError(gettext_noop("the origin must be one non-empty line"))
    if len(body.root_hash) != 32:
        raise NoteError(gettext_noop("the root hash must be 32 bytes"))
    if any(not line or "\n" in line for line in body.extensions):
        raise NoteError(gettext_noop("extension lines must be non-empty single lines"))
    lines = [body.origin, str(body.tree_size), base64.b64encode(body.root_hash).decode(), *body.extensions]
    return "\n".join(lines) + "\n"


def signature_line(name: str, key_id: bytes, signature: bytes) -> str:
    """Return one signature line ``— name base64(key id || signature)`` with its newline."""
    return f"{EM_DASH} {name} {base64.b64encode(key_id + signature).decode()}\n"


def signed_note(text: str, signatures: list[str]) -> str:
    """Return the full signed note: the text, a blank line, then the signature lines."""
    return text + "\n" + "".join(signatures)


def parse_signed_note(note: str) -> SignedNote:
    """Split a signed note into its text and signature lines; raise ``NoteError`` when it is malformed."""
    if len(note.encode()) > MAX_NOTE_BYTES:
        raise NoteError(gettext_noop("the note is too large"))
    if "\r" in note:
        note = note.replace("\r\n", "\n")
    if any(ch != "\n" and (ord(ch) < 0x20 or ord(ch) == 0x7F) for ch in note):
        raise NoteError(gettext_noop("the note holds control characters"))
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise NoteError(gettext_noop("no blank line between the text and the signatures, or no final newline"))
    text, block = note[: split + 1], note[split + 2 :]
    signatures = [parse_signature_line(line) for line in block.splitlines()]
    if not signatures:
        raise NoteError(gettext_noop("the note has no signature"))
    return SignedNote(text=text, signatures=tuple(signatures))


def parse_signature_line(line: str) -> NoteSignature:
    """Parse one signature line ``— name base64(key id || signature)`` (no newline); raise ``NoteError`` when it
    is malformed."""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in line):
        raise NoteError(gettext_noop("the signature line holds control characters"))
    parts = line.split(" ")
    if len(parts) != 3 or parts[0] != EM_DASH or not parts[1]:
        raise NoteError(gettext_noop("malformed signature line: %(line)s"), line=repr(line[:80]))
    try:
        raw = base64.b64decode(parts[2], validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(gettext_noop("a signature is not valid base64")) from None
    if len(raw) < 5:
        raise NoteError(gettext_noop("a signature is too short"))
    return NoteSignature(name=parts[1], key_id=raw[:4], signature=raw[4:])


def parse_checkpoint(text: str) -> CheckpointBody:
    """Parse checkpoint note text (without signatures); raise ``NoteError`` when it is malformed."""
    if not text.endswith("\n"):
        raise NoteError(gettext_noop("the checkpoint text must end with a newline"))
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError(gettext_noop("a checkpoint has at least three lines: origin, tree size, root hash"))
    origin, size, root = lines[:3]
    extensions = tuple(lines[3:])
    if not origin:
        raise NoteError(gettext_noop("the origin line is empty"))
    if not _SIZE.match(size):
        raise NoteError(gettext_noop("the tree size is not a decimal number without leading zeroes"))
    try:
        root_hash = base64.b64decode(root, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(gettext_noop("the root hash is not valid base64")) from None
    if len(root_hash) != 32:
        raise NoteError(gettext_noop("the root hash is not 32 bytes"))
    if any(not line for line in extensions):
        raise NoteError(gettext_noop("an extension line is empty"))
    return CheckpointBody(origin=origin, tree_size=int(size), root_hash=root_hash, extensions=extensions)
