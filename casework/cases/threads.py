"""A case's thread opened for one reader: the messages and files, unsealed, each marked new or not.

The one reading of a thread, for staff (the console) and for the reporter (the follow-up inbox); the reader
decides what is "new" and what is named. The reporter is never told which officer wrote: ``author`` is
always ``None`` for them and the sender is "Inspektorat". Opening writes nothing: marking the messages read
is its own service call (``casework.cases.services.mark_thread_read``), made by the page that showed them.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from casework.cases import sealed
from casework.cases.models import Case, CaseAttachment, CaseMessage
from casework.cases.preview import previewable
from casework.staff.models import StaffUser
from vault import services as vault


class Reader(enum.Enum):
    """Who reads the thread."""

    STAFF = "staff"
    REPORTER = "reporter"


@dataclass(frozen=True)
class ThreadMessage:
    """A message as ``Reader`` sees it. ``author`` (staff readers only) names who wrote an Inspektorat message."""

    id: uuid.UUID
    from_reporter: bool
    sender: str
    author: StaffUser | None
    created_at: datetime
    body: str
    unread: bool


@dataclass(frozen=True)
class ThreadFile:
    """A file on the case: the unsealed original name and its metadata."""

    id: uuid.UUID
    name: str
    size: int
    content_type: str
    metadata_removed: bool
    created_at: datetime

    @property
    def viewable(self) -> bool:
        """True when the console can show the file as pictures drawn on the server (images and PDFs)."""
        return previewable(self.content_type)


@dataclass(frozen=True)
class Thread:
    """The opened messages and files of a case."""

    case: Case
    reader: Reader
    messages: list[ThreadMessage]
    attachments: list[ThreadFile]

    @property
    def unread_ids(self) -> list[uuid.UUID]:
        """Return the ids of the messages that were new to the reader when the thread was opened."""
        return [message.id for message in self.messages if message.unread]


class ThreadView:
    """What a page shows of an opened thread: ``messages`` and ``attachments`` (mixed into page dataclasses)."""

    thread: Thread

    @property
    def messages(self) -> list[ThreadMessage]:
        """The messages, oldest first, each marked new or not for the reader."""
        return self.thread.messages

    @property
    def attachments(self) -> list[ThreadFile]:
        """The files of the case."""
        return self.thread.attachments


def _sender(from_reporter: bool, reader: Reader) -> str:
    if reader is Reader.REPORTER:
        return str(_("You") if from_reporter else _("Inspektorat"))
    return str(_("Reporter") if from_reporter else _("Inspektorat"))


def _is_unread(message: CaseMessage, reader: Reader) -> bool:
    """Return True when ``message`` is new to ``reader``: written by the other side and not read yet."""
    from_reporter = message.sender == CaseMessage.Sender.REPORTER
    if reader is Reader.STAFF:
        return from_reporter and not message.read_by_staff
    return not from_reporter and not message.read_by_reporter


def open_thread(*, access: vault.Access, case: Case, reader: Reader) -> Thread:
    """Return the case's messages and files opened with ``access``, as ``reader`` sees them. Writes nothing.

    Raises the vault's ``AccessDenied`` when ``access`` does not hold the case and ``CorruptCiphertext`` when
    something sealed was changed. Staff access records one ``REPORT_UNSEALED`` event per request (the vault).
    """
    messages = case.messages.select_related("author") if reader is Reader.STAFF else case.messages.all()
    return Thread(
        case=case,
        reader=reader,
        messages=[
            ThreadMessage(
                id=message.id,
                from_reporter=message.sender == CaseMessage.Sender.REPORTER,
                sender=_sender(message.sender == CaseMessage.Sender.REPORTER, reader),
                # Never the officer's name for the reporter; the reporter reads "Inspektorat".
                author=message.author if reader is Reader.STAFF else None,
                created_at=message.created_at,
                body=sealed.open_message(access=access, message=message),
                unread=_is_unread(message, reader),
            )
            for message in messages
        ],
        attachments=[_thread_file(access, item) for item in case.attachments.all()],
    )


def _thread_file(access: vault.Access, item: CaseAttachment) -> ThreadFile:
    meta = sealed.open_attachment_meta(access=access, attachment=item)  # name, type and size are sealed together
    return ThreadFile(
        id=item.id,
        name=meta.name,
        size=meta.size,
        content_type=meta.content_type,
        metadata_removed=item.metadata_removed,
        created_at=item.created_at,
    )
