"""Sealed parts of a case: content, messages and attachments, written and read through the vault.

One place decides which purpose binds which ciphertext, so intake (the reporter) and the console (officers)
read and write the same formats. ``access`` is whatever the vault accepts (``vault.Access``): a reporter's
``ReporterAccess``, an officer's ``Keyring`` or the ``EscrowKeyring``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from casework.cases.models import Case, CaseAttachment, CaseMessage
from casework.staff.models import StaffUser
from vault import services as vault


def json_bytes(data: dict[str, Any]) -> bytes:
    """Return ``data`` as canonical UTF-8 JSON (the plaintext of sealed content and identity)."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")


def seal_content(*, access: vault.Access, case: Case, content: dict[str, Any]) -> bytes:
    """Return the case content (a JSON object) sealed under the case's data key."""
    return vault.seal(access=access, report_id=case.id, purpose=Case.CONTENT_PURPOSE, plaintext=json_bytes(content))


def open_content(*, access: vault.Access, case: Case) -> dict[str, Any]:
    """Return the case content as a dict."""
    plaintext = vault.open(
        access=access, report_id=case.id, purpose=Case.CONTENT_PURPOSE, ciphertext=bytes(case.content)
    )
    content: dict[str, Any] = json.loads(plaintext)
    return content


def add_message(
    *, access: vault.Access, case: Case, sender: CaseMessage.Sender, body: str, author: StaffUser | None = None
) -> CaseMessage:
    """Create a message on ``case`` with its body sealed; the caller holds the transaction."""
    message = CaseMessage(case=case, sender=sender, author=author)
    message.read_by_reporter = sender == CaseMessage.Sender.REPORTER
    message.read_by_staff = sender == CaseMessage.Sender.INSPECTORATE
    message.body = vault.seal(access=access, report_id=case.id, purpose=message.purpose, plaintext=body.encode("utf-8"))
    message.save()
    return message


def open_message(*, access: vault.Access, message: CaseMessage) -> str:
    """Return the plaintext body of ``message``."""
    plaintext = vault.open(
        access=access, report_id=message.case_id, purpose=message.purpose, ciphertext=bytes(message.body)
    )
    return plaintext.decode("utf-8")


def add_attachment(
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
    """Encrypt ``chunks`` into storage and record the attachment; the caller holds the transaction.

    ``on_stored`` is told the storage name as soon as the blob exists, so the caller can delete it if the
    transaction later fails.
    """
    stored = vault.store_attachment(access=access, report_id=case.id, chunks=chunks)
    if on_stored is not None:
        on_stored(stored.name)
    attachment = CaseAttachment(
        case=case,
        message=message,
        storage_name=stored.name,
        size=stored.size,
        content_type=content_type[:127],
        metadata_removed=metadata_removed,
    )
    attachment.original_name = vault.seal(
        access=access,
        report_id=case.id,
        purpose=attachment.name_purpose,
        plaintext=original_name.encode("utf-8"),
    )
    attachment.save()
    return attachment


def open_attachment_name(*, access: vault.Access, attachment: CaseAttachment) -> str:
    """Return the original file name of ``attachment``."""
    plaintext = vault.open(
        access=access,
        report_id=attachment.case_id,
        purpose=attachment.name_purpose,
        ciphertext=bytes(attachment.original_name),
    )
    return plaintext.decode("utf-8")


def open_attachment_content(*, access: vault.Access, attachment: CaseAttachment) -> Iterator[bytes]:
    """Return the decrypted content of ``attachment`` as a stream of chunks."""
    return vault.open_attachment(access=access, report_id=attachment.case_id, name=attachment.storage_name)
