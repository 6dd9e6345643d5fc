"""Use cases of cases that change data: reply to the reporter, grant, revoke, escrow re-grant, mark read;
and the audited readings of a file (a page viewed, a download).

Keyword-only arguments, one transaction each; the audit event commits with the change. Who may do what is
decided here (the vault only checks keys): refusals raise ``CaseActionRefused`` with a translated message.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.services import record as audit_record
from casework.cases import preview, sealed
from casework.cases.models import Case, CaseAttachment, CaseMessage, SavedQueueView
from casework.cases.threads import Reader, Thread
from casework.cases.viewing import FilePreview, max_image_pixels, read_plaintext
from casework.staff.models import StaffUser
from casework.staff.roles import SUPERVISE_CASES
from vault import services as vault
from vault.permissions import may_hold_case_keys

MAX_REPLY = 10_000


class CaseActionRefused(Exception):
    """The action is not allowed (role, exclusion, already granted ...); nothing was changed."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def check_may_receive(case: Case, officer: StaffUser) -> None:
    """Refuse (``CaseActionRefused``) giving ``officer`` the case's key: no key or role, excluded, conflicted.

    The one rule of every way a key reaches someone after intake: a grant, an escrow re-grant, an
    assignment, a hand-over.
    """
    if not may_hold_case_keys(officer) or not vault.has_officer_key(user=officer):
        raise CaseActionRefused(_("This staff member cannot be given access to cases."))
    if case.excluded_recipients.filter(pk=officer.pk).exists():
        raise CaseActionRefused(_("The reporter asked that this staff member must not read this report."))
    if case.conflicted_staff.filter(pk=officer.pk).exists():
        raise CaseActionRefused(_("This staff member declared a conflict of interest in this case."))


def _check_recipient(case: Case, officer: StaffUser) -> None:
    check_may_receive(case, officer)
    if officer.pk in vault.granted_officer_ids(report_id=case.id):
        raise CaseActionRefused(_("This staff member already has access to this case."))


@transaction.atomic
def case_reply(*, case: Case, keyring: vault.Keyring, body: str) -> CaseMessage:
    """Post a message from "Inspektorat" to the reporter, written by the keyring's officer (audited).

    The reporter sees only "Inspektorat"; the author is kept for staff. Raises ``CaseActionRefused`` for an
    empty or over-long body and the vault's ``AccessDenied`` when the keyring does not hold the case.
    """
    text = body.strip()
    if not text:
        raise CaseActionRefused(_("Write a message first."))
    if len(text) > MAX_REPLY:
        raise CaseActionRefused(_("The message is too long (at most 10,000 characters)."))
    author = keyring.user
    assert isinstance(author, StaffUser)  # a keyring belongs to a staff member (AUTH_USER_MODEL)
    message = sealed.add_message(
        access=keyring, case=case, sender=CaseMessage.Sender.INSPECTORATE, body=text, author=author
    )
    audit_record(
        action=Action.INSPECTORATE_MESSAGE,
        actor=keyring.user,
        case_ref=case.number,
        details={"message_id": str(message.id)},
    )
    return message


@transaction.atomic
def case_grant(*, case: Case, keyring: vault.Keyring, officer: StaffUser) -> None:
    """Give ``officer`` access to the case, sealing its key with the granter's keyring (audited by the vault).

    Any officer or supervisor who holds the case may grant it. Refused for staff who cannot hold case keys,
    staff the reporter excluded and staff who already hold it; ``AccessDenied`` when the granter does not.
    """
    _check_recipient(case, officer)
    vault.grant_case(report_id=case.id, keyring=keyring, officer=officer, case_ref=case.number)


@transaction.atomic
def case_revoke(*, case: Case, officer: StaffUser, revoked_by: StaffUser) -> None:
    """Take the case away from ``officer`` (a supervisor's decision; audited by the vault): their key to it is
    deleted and they leave its team.

    What the officer already read cannot be taken back. Refused for non-supervisors and for an officer who
    does not hold the case.
    """
    if not revoked_by.has_perm(SUPERVISE_CASES):
        raise CaseActionRefused(_("Only a supervisor can take a case away from someone."))
    if officer.pk not in vault.granted_officer_ids(report_id=case.id):
        raise CaseActionRefused(_("This staff member does not have access to this case."))
    vault.revoke_case(report_id=case.id, officer=officer, actor=revoked_by, case_ref=case.number)
    leave_team(case=case, officer=officer)


def leave_team(*, case: Case, officer: StaffUser) -> None:
    """Take ``officer`` off the case's team (and lead); the caller holds the transaction and records why."""
    case.team.remove(officer)
    if case.lead_officer_id == officer.pk:
        case.lead_officer = None
        case.save(update_fields=["lead_officer"])


@transaction.atomic
def case_escrow_regrant(*, case: Case, escrow: vault.EscrowKeyring, officer: StaffUser) -> None:
    """Re-grant the case to ``officer`` from the escrow copy (the holder need not hold the case; audited)."""
    _check_recipient(case, officer)
    vault.escrow_regrant(report_id=case.id, escrow=escrow, officer=officer, case_ref=case.number)


@transaction.atomic
def mark_thread_read(*, thread: Thread) -> int:
    """Mark the messages that were new to the thread's reader as read by that side; return how many.

    Only the messages the reader was shown (``thread.unread_ids``) are marked, so one that arrived meanwhile
    stays new. Staff read for all staff: opening a case marks the reporter's messages read for everyone.
    Not audited: the opening itself is (``REPORT_UNSEALED`` for staff, ``FOLLOWUP_LOGIN`` for the reporter).
    """
    ids = thread.unread_ids
    if not ids:
        return 0
    messages = CaseMessage.objects.filter(case=thread.case, pk__in=ids)
    if thread.reader is Reader.STAFF:
        return messages.filter(sender=CaseMessage.Sender.REPORTER).update(read_by_staff=True)
    return messages.filter(sender=CaseMessage.Sender.INSPECTORATE).update(read_by_reporter=True)


# --- Files read in the console (issue 11 item 10) ------------------------------------------------------------
def attachment_page_view(*, keyring: vault.Keyring, case: Case, attachment: CaseAttachment, page: int) -> FilePreview:
    """Return page ``page`` of a case file drawn as a PNG picture, and audit that the officer viewed it.

    The file is decrypted in memory, its pages counted and the page drawn in bounded child processes
    (``casework.cases.preview``) before any transaction starts; the ``ATTACHMENT_VIEWED`` event is written only
    once there is a picture to show. Raises ``preview.CannotPreview`` (``page`` for a page that cannot be
    viewed; nothing audited but the vault's unseal), ``AccessDenied`` and ``CorruptCiphertext``.
    """
    if attachment.case_id != case.pk:
        raise preview.CannotPreview("type")
    meta = sealed.open_attachment_meta(access=keyring, attachment=attachment)
    source = read_plaintext(keyring=keyring, attachment=attachment, meta=meta)
    total = preview.page_count(source, content_type=meta.content_type)
    pages = min(total, preview.MAX_PAGES)
    if not 1 <= page <= pages:
        raise preview.CannotPreview("page")
    picture = preview.render_page(source, content_type=meta.content_type, page=page, max_pixels=max_image_pixels())
    with transaction.atomic():
        audit_record(
            action=Action.ATTACHMENT_VIEWED,
            actor=keyring.user,
            case_ref=case.number,
            details={"attachment_id": str(attachment.pk), "page": page},
        )
    return FilePreview(
        attachment=attachment, name=meta.name, page=page, pages=pages, total_pages=total, picture=picture
    )


@dataclass(frozen=True)
class Download:
    """A case file being downloaded: its sealed metadata and the decrypted chunks (the first already checked)."""

    name: str
    content_type: str
    size: int
    chunks: Iterator[bytes]


def attachment_download(*, keyring: vault.Keyring, case: Case, attachment: CaseAttachment) -> Download:
    """Open a case file for download and audit it (``ATTACHMENT_DOWNLOADED``) before the first byte leaves.

    The header and first chunk are decrypted now, so a changed file raises ``CorruptCiphertext`` here;
    tampering further in stops the stream. Raises ``AccessDenied`` when the keyring does not hold the case.
    """
    if attachment.case_id != case.pk:
        raise CaseActionRefused(_("This file does not belong to this case."))
    meta = sealed.open_attachment_meta(access=keyring, attachment=attachment)
    chunks = sealed.open_attachment_content(access=keyring, attachment=attachment)
    first = next(chunks, b"")
    with transaction.atomic():
        audit_record(
            action=Action.ATTACHMENT_DOWNLOADED,
            actor=keyring.user,
            case_ref=case.number,
            details={"attachment_id": str(attachment.pk), "metadata_removed": attachment.metadata_removed},
        )
    return Download(
        name=meta.name, content_type=meta.content_type, size=meta.size, chunks=itertools.chain([first], chunks)
    )


# --- The queue's saved view (issue 11 item 1) -------------------------------------------------------------------
MAX_SAVED_QUERY = 1000


@transaction.atomic
def queue_view_save(*, user: StaffUser, name: str, query: str) -> SavedQueueView | None:
    """Save ``query`` (the list page's validated filters as a query string) as ``user``'s view ``name``.

    An empty ``query`` removes the saved view (back to the default). Audited; the filters are metadata only.
    """
    if len(query) > MAX_SAVED_QUERY:
        raise CaseActionRefused(_("These filters are too long to be saved."))
    if not query:
        SavedQueueView.objects.filter(user=user, name=name).delete()
        saved = None
    else:
        saved, _created = SavedQueueView.objects.update_or_create(
            user=user, name=name, defaults={"query": query, "updated_at": timezone.now()}
        )
    audit_record(action=Action.QUEUE_VIEW_SAVED, actor=user, details={"name": name, "query": query})
    return saved
