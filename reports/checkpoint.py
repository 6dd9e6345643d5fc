"""The audit checkpoint every export embeds, and reading it back out of a PDF.

Each PDF carries the latest signed checkpoint of the audit log (C2SP signed note) twice: printed in its text,
and as the attachment ``audit-checkpoint.txt``, which ``/verify/`` and ``manage.py audit_verify --checkpoint``
check against today's log with a consistency proof. Witness cosignatures (C2SP tlog-cosignature lines) are
appended to the note when the audit log has collected any (``cosignatures_for``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pikepdf
from django.utils.translation import gettext as _

from audit import checkpoints, publication
from audit.models import AuditCheckpoint
from reports.audit_log import reading_the_log
from reports.exceptions import NoPublishedCheckpoint

ATTACHMENT_NAME = "audit-checkpoint.txt"
# A checkpoint note is a few hundred bytes; cosignatures add a line each. Anything larger is not ours.
MAX_NOTE_BYTES = 64 * 1024


@dataclass(frozen=True)
class EmbeddedCheckpoint:
    """The checkpoint as embedded: the signed note (with any cosignature lines), its size and root."""

    note: str
    tree_size: int
    root_hash_hex: str
    cosignatures: int


def cosignatures_for(checkpoint: AuditCheckpoint) -> list[str]:
    """Return the witnesses' cosignature lines for ``checkpoint`` (each ``— name base64``), if any.

    They come from ``audit.checkpoints.checkpoint_cosignatures`` (cosignatures the log verified when the
    witnesses posted them) and are embedded with the note.
    """
    return checkpoints.checkpoint_cosignatures(checkpoint)


def embed_current_checkpoint(*, published_only: bool = False) -> EmbeddedCheckpoint:
    """Return the latest checkpoint (signing a new one if the log has grown) ready to embed.

    With ``published_only`` (documents anyone may download): the latest published checkpoint instead, signing
    nothing, so a stranger cannot make the log sign a checkpoint at a moment of their choosing
    (``audit/publication.py``); ``NoPublishedCheckpoint`` before the first one. Raises ``AuditLogAltered`` when
    no checkpoint can be signed: the log does not verify, or the latest checkpoint's row was altered.
    """
    with reading_the_log():
        # With exact reporter times every checkpoint is published: a public document may then sign its own.
        if published_only and publication.publication_period() is not None:
            found = publication.latest_published()
            if found is None:
                raise NoPublishedCheckpoint(
                    _("The audit log publishes its first checkpoint at the start of the next hour; try again then.")
                )
            checkpoint = found
        else:
            checkpoint = checkpoints.current_checkpoint()
        cosigned = cosignatures_for(checkpoint)  # a cosignature row SQLite cannot read: an altered log
    note = checkpoint.note
    if cosigned:
        # Signature lines follow each other at the end of a signed note; cosignatures are more of them.
        note = note.rstrip("\n") + "\n" + "\n".join(cosigned) + "\n"
    return EmbeddedCheckpoint(
        note=note,
        tree_size=int(checkpoint.tree_size),
        root_hash_hex=bytes(checkpoint.root_hash).hex(),
        cosignatures=len(cosigned),
    )


def extract_checkpoint(pdf: bytes) -> str | None:
    """Return the embedded checkpoint note of a PDF, or None when it has none (or the PDF cannot be read)."""
    try:
        with pikepdf.open(io.BytesIO(pdf)) as document:
            attached = document.attachments.get(ATTACHMENT_NAME)
            if attached is None:
                return None
            data = attached.get_file().read_bytes()
    except (pikepdf.PdfError, ValueError, KeyError, AttributeError):
        return None
    if len(data) > MAX_NOTE_BYTES:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
