"""Signed checkpoints of the audit log: create (on a schedule, on demand, for every export), read, and the
witnesses' cosignatures of them.

A checkpoint is only signed after the whole log verifies (a log must never sign a tree inconsistent with an
earlier checkpoint), and its own ``audit.checkpoint_created`` event is the last leaf it covers, so a quiet log
does not grow checkpoints.

Public functions other packages use: ``current_checkpoint`` and ``latest_checkpoint`` (the checkpoint to embed
in an export), ``cosignatures``, ``checkpoint_cosignatures`` (their signature lines, which exports embed) and
``cosigned_note`` (the same checkpoint with the witnesses' cosignatures). The pages that serve a stored
checkpoint read it with ``checked_checkpoint``, which tells an edited row from one that can be served; signing
a new checkpoint on top of an edited one is refused (``AuditError``), and ``stored_time`` reads the one cell
that is not signed, ``created_at``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import DataError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import signing
from audit.actions import Action
from audit.db import lock_writers, undecodable_text_raises
from audit.exceptions import AuditError, AuditTailAltered
from audit.models import AuditCheckpoint, AuditCosignature, AuditEvent
from audit.note import (
    CheckpointBody,
    NoteError,
    checkpoint_text,
    format_time,
    parse_checkpoint,
    parse_signature_line,
    parse_signed_note,
    signature_line,
    signed_note,
)
from audit.services import record
from audit.verify import scan_events

# A cosignature dated further ahead than this is refused (the witness's clock is wrong, or it lies).
COSIGNATURE_CLOCK_SKEW = 300


def log_size() -> int:
    """Return the number of events in the log (the highest sequence number)."""
    with undecodable_text_raises(AuditTailAltered("the audit log's last event cannot be read")):
        last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    if last is None:
        return 0
    if not isinstance(last, int):  # SQLite: an edited seq (text sorts after every number)
        raise AuditTailAltered("the audit log's last event holds values its columns cannot hold")
    return last


def latest_checkpoint() -> AuditCheckpoint | None:
    """Return the checkpoint with the largest tree size, if any."""
    return AuditCheckpoint.objects.order_by("-tree_size").first()


class CheckpointAltered(Exception):
    """A stored checkpoint's row cannot be read, or does not hold its own signed note: the table was altered."""


def checked_checkpoint(tree_size: int | None = None) -> AuditCheckpoint | None:
    """Return the checkpoint of ``tree_size`` (the latest when None) once its row is seen whole; None if there is none.

    Someone with the database can edit the row; in SQLite a cell then holds a value of any type, or text that is
    not UTF-8 and cannot even be read. Raises ``CheckpointAltered`` unless the size is a whole number, the root
    hash bytes, and the note a signed checkpoint of that size and root hash: what ``audit_verify`` checks of a
    row, except the signature, which it and the witnesses check anyway. ``created_at`` (not signed) is not read.
    When no row has ``tree_size`` but some row's size is not a whole number (SQLite), that row may be the one
    asked for: ``CheckpointAltered`` too, not None.
    """
    checkpoints = AuditCheckpoint.objects.defer("created_at").order_by("-tree_size")
    if tree_size is not None:
        checkpoints = checkpoints.filter(tree_size=tree_size)
    with undecodable_text_raises(CheckpointAltered()):
        checkpoint = checkpoints.first()
    if checkpoint is None:
        if tree_size is not None and _sizes_altered():
            raise CheckpointAltered  # the row of that size may be the one whose size no longer reads as one
        return None
    if not (
        isinstance(checkpoint.tree_size, int)
        and isinstance(checkpoint.root_hash, bytes | memoryview)
        and isinstance(checkpoint.note, str)
    ):
        raise CheckpointAltered
    try:
        body = parse_checkpoint(parse_signed_note(checkpoint.note).text)
    except NoteError:
        raise CheckpointAltered from None
    if body.tree_size != checkpoint.tree_size or body.root_hash != bytes(checkpoint.root_hash):
        raise CheckpointAltered
    return checkpoint


def _sizes_altered() -> bool:
    """True when a checkpoint row's ``tree_size`` is not a whole number (SQLite keeps any type in a column).

    Such a row no longer matches a lookup by its size, so an answer of "no checkpoint of that size" would be
    wrong: the table was altered. PostgreSQL's column holds only whole numbers.
    """
    connection = transaction.get_connection()
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM audit_auditcheckpoint WHERE typeof(tree_size) != 'integer' LIMIT 1")
        return cursor.fetchone() is not None


def stored_time(checkpoint: AuditCheckpoint) -> datetime | None:
    """Return when ``checkpoint`` was signed as its row records it (``created_at``, in the current time zone).

    ``created_at`` is not part of the signed note, so ``checked_checkpoint`` does not read it and an edit of it
    alone does not stop the checkpoint being served. Returns None when someone altered the cell into no time
    that can be shown: in SQLite a value of another type (read as None) or text that is not UTF-8, in
    PostgreSQL a time beyond year 9999 ('infinity'), or a time the local time zone takes past year 9999.
    """
    try:
        created_at = checkpoint.created_at
        return None if created_at is None else timezone.localtime(created_at)
    # ValueError includes UnicodeDecodeError (SQLite); DataError is psycopg's "timestamp too large".
    except (ValueError, OverflowError, DataError):
        return None


def _latest_to_extend() -> AuditCheckpoint | None:
    """Return the latest checkpoint, read as ``checked_checkpoint`` reads it, to sign the next one on top of.

    Raises ``AuditError`` when its row was altered (a cell of another type, text SQLite cannot read, a note
    that does not hold the row's size and root hash): a new checkpoint must extend a tree that was signed, and
    an export must not embed an edited one. ``audit_verify`` names the row.
    """
    try:
        return checked_checkpoint()
    except CheckpointAltered:
        raise AuditError("the latest checkpoint's row was altered; no checkpoint signed (run audit_verify)") from None


def _signed_time(checkpoint: AuditCheckpoint) -> datetime | None:
    """Return the time in the signed note of ``checkpoint`` (whole seconds), from ``checked_checkpoint``."""
    return parse_checkpoint(parse_signed_note(checkpoint.note).text).signed_at


def signed_time(checkpoint: AuditCheckpoint) -> datetime | None:
    """Return when ``checkpoint`` (from ``checked_checkpoint``) was signed, as its signed note says, in the current
    time zone; None for a note without a time.

    Shown instead of the row's ``created_at``, which is not signed: an edit of it would show a false date.
    """
    try:
        at = _signed_time(checkpoint)
        return None if at is None else timezone.localtime(at)
    except (NoteError, OverflowError, ValueError):  # an edited time line the local zone takes past year 1 or 9999
        return None


@transaction.atomic
def create_checkpoint(*, publish: bool = False) -> AuditCheckpoint:
    """Record ``audit.checkpoint_created``, verify the log, and sign a checkpoint over all of it.

    With ``publish`` the event is ``audit.checkpoint_published`` instead: the checkpoint the public sees
    (only ``audit.publication.publish_if_due`` asks for it). Raises ``AuditError`` (and signs nothing) when the
    log does not verify or the latest checkpoint's row was altered. Reporters of exports call this to embed a
    fresh checkpoint in each PDF.
    """
    lock_writers(transaction.get_connection())
    action = Action.CHECKPOINT_PUBLISHED if publish else Action.CHECKPOINT_CREATED
    event = record(action=action, actor="system", details={"tree_size": log_size() + 1})
    previous = _latest_to_extend()
    report = scan_events(sizes=[previous.tree_size] if previous else [])
    if not report.intact:
        raise AuditError(f"the audit log does not verify; no checkpoint signed: {report.problems[0].message}")
    if previous is not None and report.roots.get(previous.tree_size) != bytes(previous.root_hash):
        raise AuditError(f"the log no longer matches the checkpoint of tree size {previous.tree_size}")
    if report.events != event.seq:
        raise AuditError("the log changed while the checkpoint was being made")
    # Never earlier than the previous checkpoint or the event it covers last: time does not run backwards.
    # ``created_at`` is not signed; altered into no time, the time in the previous checkpoint's note stands in.
    previous_at = (stored_time(previous) or _signed_time(previous)) if previous is not None else None
    now = max(timezone.now(), event.at, previous_at or event.at)
    text = checkpoint_text(
        CheckpointBody(
            origin=signing.key_name(),
            tree_size=report.events,
            root_hash=report.root_hash,
            extensions=(format_time(now),),
        )
    )
    note = signed_note(text, [signing.sign_note_text(text)])
    return AuditCheckpoint.objects.create(
        tree_size=report.events, root_hash=report.root_hash, created_at=now, note=note
    )


def checkpoint_if_grown() -> AuditCheckpoint | None:
    """Create a checkpoint when events were added since the latest one; return it, or None when there were none.

    Raises ``AuditError`` as ``create_checkpoint`` does, and when the latest checkpoint's row was altered.
    """
    with transaction.atomic():
        lock_writers(transaction.get_connection())
        latest, size = _latest_to_extend(), log_size()
        if size == 0 or (latest is not None and latest.tree_size >= size):
            return None
        return create_checkpoint()


def current_checkpoint() -> AuditCheckpoint:
    """Return the latest checkpoint, creating one first if the log has grown since (or none exists).

    Raises ``AuditError`` when the log does not verify or the latest checkpoint's row was altered.
    """
    return checkpoint_if_grown() or _latest_to_extend() or create_checkpoint()


# --- Witness cosignatures --------------------------------------------------------------------------------
def cosignatures(checkpoint: AuditCheckpoint) -> list[AuditCosignature]:
    """Return the witnesses' cosignatures of ``checkpoint`` (verified when they arrived), by witness name."""
    return list(checkpoint.cosignatures.order_by("witness", "timestamp"))


def checkpoint_cosignatures(checkpoint: AuditCheckpoint) -> list[str]:
    """Return the witnesses' cosignature lines of ``checkpoint`` (``— name base64``, no newline), for embedding.

    Appended to the checkpoint's note they make ``cosigned_note``; the reports embed them this way. Only the
    ``signature_line`` column is read (an edited ``received_at``, ``witness`` or ``timestamp`` changes nothing
    served). A stored line that no longer parses as a signature line (someone edited the row into other text or
    another type) is left out: it is no cosignature, and the note stays one a reader can parse; the checkpoint's
    own signature is untouched. Raises ``CheckpointAltered`` when SQLite cannot read a line at all (text that is
    not UTF-8); an unavailable database still raises its ``OperationalError`` (the usual 503).
    """
    rows = checkpoint.cosignatures.order_by("witness", "timestamp").values_list("signature_line", flat=True)
    with undecodable_text_raises(CheckpointAltered()):
        stored = list(rows)
    return [line for line in stored if _is_signature_line(line)]


def _is_signature_line(line: object) -> bool:
    """True when a stored cosignature cell holds one well-formed signed-note signature line."""
    if not isinstance(line, str):
        return False
    try:
        parse_signature_line(line)
    except NoteError:
        return False
    return True


def cosigned_note(checkpoint: AuditCheckpoint) -> str:
    """Return the checkpoint's signed note with every witness cosignature line appended (a valid signed note).

    Signed-note readers ignore signature lines by keys they do not know, so this can replace the plain note
    anywhere (exports, ``/audit/checkpoint``). Raises ``CheckpointAltered`` as ``checkpoint_cosignatures`` does.
    """
    return checkpoint.note + "".join(f"{line}\n" for line in checkpoint_cosignatures(checkpoint))


class CosignatureRejected(ValueError):
    """Cosignatures that cannot be stored; ``message`` says why (translated)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class _Verified:
    witness: signing.VerifierKey
    timestamp: int
    line: str


def _checkpoint_for(text: str, lookup: Callable[[int], AuditCheckpoint | None]) -> AuditCheckpoint:
    """Return our checkpoint (found by ``lookup`` from its size) whose note text is exactly ``text``;
    ``CheckpointAltered`` if its row was edited."""
    body = parse_checkpoint(text)
    checkpoint = lookup(body.tree_size)
    if checkpoint is None or parse_signed_note(checkpoint.note).text != text:
        raise CosignatureRejected(_("This is not a checkpoint of this log."))
    return checkpoint


def _verified_cosignatures(note: str) -> tuple[str, list[_Verified]]:
    try:
        parsed = parse_signed_note(note)
    except NoteError as error:
        # The parser's detail in the client's language too (``_client_language``), not English in Indonesian.
        message = _("The cosigned checkpoint is not a valid signed note: %(error)s") % {"error": error.translated(_)}
        raise CosignatureRejected(message) from None
    witnesses = signing.configured_witnesses()
    newest = int(time.time()) + COSIGNATURE_CLOCK_SKEW
    found = []
    for signature in parsed.signatures:
        for witness in witnesses:
            timestamp = signing.verify_cosignature(parsed.text, signature, witness)
            if timestamp is not None and timestamp <= newest:
                line = signature_line(signature.name, signature.key_id, signature.signature).rstrip("\n")
                found.append(_Verified(witness=witness, timestamp=timestamp, line=line))
    if not found:
        raise CosignatureRejected(_("The checkpoint carries no valid cosignature by a witness this log knows."))
    return parsed.text, found


@transaction.atomic
def add_cosignatures(
    *, note: str, lookup: Callable[[int], AuditCheckpoint | None] = checked_checkpoint
) -> list[AuditCosignature]:
    """Store the valid cosignatures by known witnesses (``PELUIT_AUDIT_WITNESSES``) found on one of our checkpoints.

    ``note`` is the checkpoint as a witness returns it: our signed note with its cosignature lines appended;
    ``lookup`` finds our checkpoint of a size (``/audit/cosignature`` accepts only published ones).
    Lines by unknown keys are ignored; a witness that already cosigned the checkpoint keeps its first
    cosignature (the table is append-only). Returns the cosignatures stored now. Raises ``CosignatureRejected``
    when the note is malformed, is not one of our checkpoints, or carries no valid cosignature by a known witness;
    ``CheckpointAltered`` when our stored row of that checkpoint was edited (read as ``checked_checkpoint`` reads it).

    No audit event is written: a cosignature is signed evidence about the log, not a change made by someone,
    and an event per cosignature would make a quiet log grow a new checkpoint (and a new cosignature) forever.
    """
    text, verified = _verified_cosignatures(note)
    try:
        checkpoint = _checkpoint_for(text, lookup)
    except NoteError:
        raise CosignatureRejected(_("This is not a checkpoint of this log.")) from None
    stored = []
    now = timezone.now()
    for item in verified:
        key_id = item.witness.key_id
        if AuditCosignature.objects.filter(checkpoint=checkpoint, witness=item.witness.name, key_id=key_id).exists():
            continue
        stored.append(
            AuditCosignature.objects.create(
                checkpoint=checkpoint,
                witness=item.witness.name,
                key_id=key_id,
                timestamp=item.timestamp,
                signature_line=item.line,
                received_at=now,
            )
        )
    return stored
