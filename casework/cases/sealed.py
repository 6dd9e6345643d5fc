"""Sealed parts of a case: content, messages and attachments, written and read through the vault.

One place decides which purpose binds which ciphertext, so intake (the reporter) and the console (officers)
read and write the same formats. ``access`` is whatever the vault accepts (``vault.Access``): a reporter's
``ReporterAccess``, an officer's ``Keyring`` or the ``EscrowKeyring``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Max, QuerySet

from audit import clock
from audit.inserts import new_row
from casework.cases.models import Case, CaseAttachment, CaseMessage
from casework.staff.models import StaffUser
from vault import services as vault

# Two rows of one case never share a time, so the thread keeps the order things happened in.
_TICK = timedelta(microseconds=1)


def json_bytes(data: dict[str, Any]) -> bytes:
    """Return ``data`` as canonical UTF-8 JSON (the plaintext of sealed content and identity)."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")


def seal_content(*, access: vault.Access, case: Case, content: dict[str, Any]) -> bytes:
    """Return the case content (a JSON object) sealed under the case's data key."""
    return vault.seal(access=access, report_id=case.id, purpose=Case.CONTENT_PURPOSE, plaintext=json_bytes(content))


def open_content(*, access: vault.Access, case: Case) -> dict[str, Any]:
    """Return the case content as a dict."""
    plaintext = vault.open(
        access=access,
        report_id=case.id,
        purpose=Case.CONTENT_PURPOSE,
        ciphertext=bytes(case.content),
        case_ref=case.number,  # the vault need not look the number up for its unseal event
    )
    content: dict[str, Any] = json.loads(plaintext)
    return content


def seal_text(*, access: vault.Access, case: Case, purpose: str, text: str) -> bytes:
    """Return ``text`` sealed under the case's data key for ``purpose`` (notes, a disclosure's reason ...)."""
    return vault.seal(access=access, report_id=case.id, purpose=purpose, plaintext=text.encode("utf-8"))


def open_text(*, access: vault.Access, case_id: Any, purpose: str, ciphertext: bytes | memoryview) -> str:
    """Return the text of a ``seal_text`` blob of the case ``case_id``."""
    return vault.open(access=access, report_id=case_id, purpose=purpose, ciphertext=bytes(ciphertext)).decode("utf-8")


def _next_time(rows: QuerySet[Any]) -> datetime:
    """Return the time to store for a new row after ``rows``: ``clock.now()`` (coarse in a reporter's request),
    but never at or before the latest of them, so rounding down cannot reorder a case's thread."""
    now = clock.now()
    latest = rows.aggregate(latest=Max("created_at"))["latest"]
    return max(now, latest + _TICK) if latest is not None else now


def new_message(
    *,
    access: vault.Access,
    case: Case,
    sender: CaseMessage.Sender,
    body: str,
    author: StaffUser | None = None,
    first: bool = False,
) -> CaseMessage:
    """Return an unsaved message on ``case`` with its body sealed (its time after the case's latest message).

    ``first``: the case is being created and has no message yet, so there is no latest one to read.
    """
    created_at = clock.now() if first else _next_time(case.messages.all())
    message = new_row(CaseMessage, case=case, sender=sender, author=author, created_at=created_at)
    message.read_by_reporter = sender == CaseMessage.Sender.REPORTER
    message.read_by_staff = sender == CaseMessage.Sender.INSPECTORATE
    message.body = vault.seal(access=access, report_id=case.id, purpose=message.purpose, plaintext=body.encode("utf-8"))
    return message


def add_message(
    *, access: vault.Access, case: Case, sender: CaseMessage.Sender, body: str, author: StaffUser | None = None
) -> CaseMessage:
    """Create a message on ``case`` with its body sealed; the caller holds the transaction."""
    message = new_message(access=access, case=case, sender=sender, body=body, author=author)
    message.save(force_insert=True)
    return message


def open_message(*, access: vault.Access, message: CaseMessage) -> str:
    """Return the plaintext body of ``message``."""
    plaintext = vault.open(
        access=access, report_id=message.case_id, purpose=message.purpose, ciphertext=bytes(message.body)
    )
    return plaintext.decode("utf-8")


@dataclass(frozen=True)
class AttachmentMeta:
    """What a file's readers are told about it: original name, content type, size; sealed together, one blob."""

    name: str
    content_type: str
    size: int


def write_attachment(
    *,
    access: vault.Access,
    case: Case,
    chunks: Iterator[bytes],
    original_name: str,
    content_type: str,
    metadata_removed: bool,
    message: CaseMessage | None = None,
    on_stored: Callable[[str], None] | None = None,
) -> CaseAttachment:
    """Encrypt ``chunks`` into storage and return the attachment unsaved, its name sealed; no database write.

    For work done before a transaction: ``save_attachments`` records it there. ``on_stored`` is told the
    storage name as soon as the blob exists, so the caller can delete it if its transaction later fails. The
    name, content type and size are sealed together (the vault pads the blob and the metadata, so neither the
    file nor the row says how large the attachment is).
    """
    stored = vault.write_attachment(access=access, report_id=case.id, chunks=chunks)
    if on_stored is not None:
        on_stored(stored.name)
    attachment = CaseAttachment(
        case=case,
        message=message,
        storage_name=stored.name,
        metadata_removed=metadata_removed,
    )
    meta = {"content_type": content_type[:127], "name": original_name, "size": stored.size}
    attachment.original_name = vault.seal(
        access=access, report_id=case.id, purpose=attachment.name_purpose, plaintext=json_bytes(meta)
    )
    return attachment


def save_attachments(*, case: Case, attachments: list[CaseAttachment]) -> None:
    """Record attachments made by ``write_attachment`` (their blobs and rows), inside the caller's transaction."""
    if not attachments:
        return
    vault.record_attachments(
        report_id=case.id, stored=[vault.StoredAttachment(name=a.storage_name, size=0) for a in attachments]
    )
    # Their times follow the case's latest file, one tick apart, so the thread keeps the order they came in.
    start = _next_time(case.attachments.all())
    for index, attachment in enumerate(attachments):
        attachment.created_at = start + index * _TICK
    CaseAttachment.objects.bulk_create(attachments)


def open_attachment_meta(*, access: vault.Access, attachment: CaseAttachment) -> AttachmentMeta:
    """Return the original name, content type and size of ``attachment``.

    Rows written before the metadata was sealed (``size`` set in clear) sealed the name alone.
    """
    plaintext = vault.open(
        access=access,
        report_id=attachment.case_id,
        purpose=attachment.name_purpose,
        ciphertext=bytes(attachment.original_name),
    )
    if attachment.size is not None:
        return AttachmentMeta(plaintext.decode("utf-8"), attachment.content_type, attachment.size)
    meta = json.loads(plaintext)
    return AttachmentMeta(name=str(meta["name"]), content_type=str(meta["content_type"]), size=int(meta["size"]))


def open_attachment_content(*, access: vault.Access, attachment: CaseAttachment) -> Iterator[bytes]:
    """Return the decrypted content of ``attachment`` as a stream of chunks."""
    return vault.open_attachment(access=access, report_id=attachment.case_id, name=attachment.storage_name)
