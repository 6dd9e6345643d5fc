"""Files that survive a form error: cleaned, then held sealed against the form's one-time token.

When a report form comes back with an error, the browser forgets the files the reporter chose. So the view
cleans them (voice recordings disguised) and holds them in the vault under the form's ``submission_token``
(``vault/held.py``: nothing held opens without the token, which is not stored). The re-shown form lists them
by name with a ticked checkbox each (``held_files``); unticking one removes it. When the report is sent they
become the case's attachments and are deleted; otherwise they are purged after an hour.

Bad input: a form that names held files the token does not hold (expired, or another form's), or more files
than the limit across retries, is refused with a clear message, nothing is stored and the token's held files
are deleted (``HeldFilesRefused``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.actions import Action
from audit.services import record as audit_record
from intake.attachments import CleanAttachment, RejectedAttachment, inspect_and_clean, max_attachments
from intake.voice import VoiceBudget
from vault import services as vault
from vault.exceptions import VaultError

HELD_FIELD = "held_files"
# Sent by a form that lists held files (``_report_form.html``), so a form whose reporter unticked every one of
# them still has them looked up and deleted.
HELD_LISTED_FIELD = "held_listed"


@dataclass(frozen=True)
class HeldUpload:
    """A cleaned file held for the reporter, as the re-shown form lists it."""

    id: uuid.UUID
    name: str
    size: int
    content_type: str
    metadata_removed: bool
    voice_disguised: bool


@dataclass(frozen=True)
class HeldSelection:
    """The held files a submission takes over: the form's token and the files the reporter kept ticked."""

    token: str
    files: Sequence[HeldUpload]
    # Whether the token held any file when the form was read (ticked or not): if not, the submission has no
    # held files to delete and skips looking for them.
    held_any: bool = True

    def as_attachments(self) -> list[CleanAttachment]:
        """Return the kept files as attachments to store (their chunks are decrypted while being stored)."""
        return [
            CleanAttachment(
                chunks=_opened(self.token, item.id),
                content_type=item.content_type,
                original_name=item.name,
                size=item.size,
                metadata_removed=item.metadata_removed,
            )
            for item in self.files
        ]


class HeldFilesRefused(Exception):
    """The held files named by the form cannot be used; they were deleted. ``message`` is for the reporter."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _opened(token: str, held_id: uuid.UUID) -> Iterator[bytes]:
    try:
        yield from vault.open_held_file(token=token, held_id=held_id)
    except VaultError as exc:  # deleted or damaged since the form was shown
        raise RejectedAttachment(
            _("A file you chose earlier could not be read any more. Please choose it again."), code="held"
        ) from exc


def _label(item: CleanAttachment, *, voice_disguised: bool) -> bytes:
    description = {
        "name": item.original_name,
        "content_type": item.content_type,
        "metadata_removed": item.metadata_removed,
        "voice_disguised": voice_disguised,
    }
    return json.dumps(description, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _upload(held: vault.HeldFile) -> HeldUpload | None:
    try:
        description = json.loads(held.label)
        return HeldUpload(
            id=held.id,
            name=str(description["name"]),
            size=held.size,
            content_type=str(description["content_type"]),
            metadata_removed=bool(description["metadata_removed"]),
            voice_disguised=bool(description["voice_disguised"]),
        )
    except (ValueError, KeyError, TypeError):  # not written by this module: ignore it
        return None


def held_uploads(*, token: str) -> list[HeldUpload]:
    """Return the files held under the form token ``token`` (none for a missing or short token)."""
    return [item for held in vault.held_files(token=token) if (item := _upload(held)) is not None]


def may_use_held(data: QueryDict, *, new_files: int) -> bool:
    """Return whether a posted form may take over held files: it carries files, or lists held ones.

    Most reports are text only, from a form that listed no held files; they skip looking for held files
    (and the re-sent-form check, which the submission's token row makes anyway). Files held under the token
    of a form posted without its list (e.g. an older copy from the browser's history) are not taken over;
    they expire an hour after they were held and are purged then, as every held file is.
    """
    return bool(new_files or data.getlist(HELD_FIELD) or data.get(HELD_LISTED_FIELD))


def none_held(*, token: str) -> HeldSelection:
    """Return the selection of a form that takes over no held files (``may_use_held`` is False)."""
    return HeldSelection(token=token, files=[], held_any=False)


def select_held(*, token: str, kept_ids: Sequence[str], new_files: int) -> HeldSelection:
    """Return the held files the form keeps ticked, deleting the ones the reporter unticked.

    Raises ``HeldFilesRefused`` (after deleting every file held under ``token``) when the form names a file
    the token does not hold (expired after an hour, or held for another form), or when the kept files and the
    ``new_files`` of this request are together more than ``PELUIT_MAX_ATTACHMENTS``.
    """
    held = {str(item.id): item for item in held_uploads(token=token)}
    wanted = list(dict.fromkeys(kept_ids))
    if any(value not in held for value in wanted):
        release_held(token=token)
        raise HeldFilesRefused(
            _(
                "The files you chose earlier are no longer kept: for your safety they are deleted after an hour, "
                "and they belong to the form they were chosen in. Nothing has been saved. Please choose your "
                "files again."
            )
        )
    limit = max_attachments()
    if wanted and len(wanted) + new_files > limit:  # without held files the form's own count check speaks
        release_held(token=token)
        raise HeldFilesRefused(
            ngettext(
                "You can attach at most %(limit)d file, counting the files you chose earlier. Nothing has been "
                "saved and the files chosen earlier were removed. Please choose your files again.",
                "You can attach at most %(limit)d files, counting the files you chose earlier. Nothing has been "
                "saved and the files chosen earlier were removed. Please choose your files again.",
                limit,
            )
            % {"limit": limit}
        )
    kept = [held[value] for value in wanted]
    if len(kept) < len(held):
        vault.release_held_files(token=token, keep=[item.id for item in kept])
    return HeldSelection(token=token, files=kept, held_any=bool(held))


def hold_uploads(
    *,
    token: str,
    attachments: Sequence[UploadedFile[bytes]] = (),
    voice_recordings: Sequence[UploadedFile[bytes]] = (),
    send_uncleaned: bool = False,
) -> list[tuple[str, str]]:
    """Clean and hold the files of a form that came back with an error; return (field, message) per refused file.

    Each file is cleaned (a voice recording disguised) on its own, so one refused file does not lose the
    others; a file that cannot be cleaned is held as it is only with ``send_uncleaned`` (the reporter's
    choice). Nothing is held for a token that cannot hold files (missing or too short), nor when the files
    would be more than ``PELUIT_MAX_ATTACHMENTS``. Audited as one ``intake.attachments_held`` event with the
    count.
    """
    if not vault.can_hold(token) or not (attachments or voice_recordings):
        return []
    if len(vault.held_files(token=token)) + len(attachments) + len(voice_recordings) > max_attachments():
        return []  # more than a submission may carry: the form says so, nothing is held
    budget = VoiceBudget()
    refused: list[tuple[str, str]] = []
    held = 0
    for upload, disguise in [*((a, None) for a in attachments), *((v, budget) for v in voice_recordings)]:
        field = "attachments" if disguise is None else "voice_recordings"
        try:
            item = inspect_and_clean(upload, send_uncleaned=send_uncleaned, disguise=disguise)
            try:
                vault.hold_file(
                    token=token, chunks=item.chunks, label=_label(item, voice_disguised=disguise is not None)
                )
            finally:
                item.close()
        except RejectedAttachment as exc:  # also raised while streaming, by a cleaner that refuses late
            name = (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1]
            message = exc.message  # an uncleanable file's message names it already
            if exc.code != "uncleanable":
                message = _("“%(name)s” was not kept: %(reason)s") % {"name": name, "reason": exc.message}
            refused.append((field, message))
            continue
        held += 1
    if held:
        with transaction.atomic():
            audit_record(action=Action.ATTACHMENTS_HELD, actor="reporter", details={"count": held})
    return refused


def release_held(*, token: str) -> None:
    """Delete every file held under ``token`` (after sending the report, or on a refused form)."""
    vault.release_held_files(token=token)
