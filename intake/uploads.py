"""Uploads never rest as plaintext in a named file: a nameless spool, and a sweep of the upload folder.

Django spools uploads over ``FILE_UPLOAD_MAX_MEMORY_SIZE`` into a *named* file in ``FILE_UPLOAD_TEMP_DIR``
and deletes it when the request ends; a worker killed in between leaves a plaintext copy of the reporter's
evidence behind for good. ``NamelessTemporaryFileUploadHandler`` spools into ``tempfile.TemporaryFile``
instead (``O_TMPFILE`` on Linux): the file never has a name in any directory, and the kernel frees it when the
last descriptor closes, also when the process is killed. The attachment cleaner copies from it into its own
nameless files (``intake.attachments``).

The handler also stops writing a file once it is past ``PELUIT_MAX_ATTACHMENT_BYTES`` (it keeps counting, so
the form still refuses it as too large with the real size): an oversized upload cannot fill the disk.

``sweep_upload_folder`` deletes whatever is left in the upload folder (files from before this handler, or from
any other code that wrote named files there); it runs when the web application starts (``config.wsgi``) and
hourly from Celery beat (``intake.tasks.housekeeping``).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

logger = logging.getLogger(__name__)

# Django's UploadedFile is generic for the type checker only.
if TYPE_CHECKING:
    _UploadedBytes = UploadedFile[bytes]
else:
    _UploadedBytes = UploadedFile


class NamelessUploadedFile(_UploadedBytes):
    """An uploaded file spooled into a nameless temporary file; it has no ``temporary_file_path``."""

    def __init__(
        self,
        name: str,
        content_type: str | None,
        size: int | None,
        charset: str | None,
        content_type_extra: dict[str, bytes] | None = None,
    ) -> None:
        spool = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)
        super().__init__(spool, name, content_type, size, charset, content_type_extra)


class NamelessTemporaryFileUploadHandler(FileUploadHandler):
    """Spool each uploaded file into a nameless temporary file, writing at most one byte past the size limit."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.file = NamelessUploadedFile(
            self.file_name or "", self.content_type, 0, self.charset, self.content_type_extra
        )
        self.received = 0
        # One byte more than the limit is enough to know the file is too large.
        self.keep = int(settings.PELUIT_MAX_ATTACHMENT_BYTES) + 1

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        room = self.keep - self.received
        if room > 0:
            with self._closed_on_failure():
                self.file.write(raw_data[:room])
        self.received += len(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile[bytes]:
        with self._closed_on_failure():
            self.file.seek(0)  # writes out what is still buffered: the disk may be full here too
        self.file.size = file_size  # the size sent, also when only the first bytes were kept
        return self.file

    def upload_interrupted(self) -> None:
        if hasattr(self, "file"):
            _close_quietly(self.file)

    @contextmanager
    def _closed_on_failure(self) -> Iterator[None]:
        """Close the spool when writing fails (a full disk): Django's parser would leave it open, holding the
        space, until the request's objects are collected."""
        try:
            yield
        except OSError:
            _close_quietly(self.file)
            raise


def _close_quietly(file: UploadedFile[bytes]) -> None:
    """Close ``file``; closing flushes its buffer, which fails again on a full disk (the file is closed anyway)."""
    try:
        file.close()
    except OSError:
        pass


def upload_folder() -> Path:
    """Return the folder uploads are spooled in (``FILE_UPLOAD_TEMP_DIR``)."""
    return Path(settings.FILE_UPLOAD_TEMP_DIR)


def sweep_upload_folder(*, older_than: timedelta = timedelta(0)) -> int:
    """Delete every file in the upload folder last changed more than ``older_than`` ago; return how many.

    Nothing legitimate has a name there: uploads and the cleaner's copies are nameless. Folders are searched
    but kept; symbolic links are deleted, never followed. Names are never logged.
    """
    folder = upload_folder()
    if not folder.is_dir():
        return 0
    cutoff = time.time() - older_than.total_seconds()
    deleted = 0
    for directory, _subdirs, names in os.walk(folder):
        for name in names:
            path = Path(directory, name)
            try:
                if path.lstat().st_mtime <= cutoff:
                    path.unlink()
                    deleted += 1
            except FileNotFoundError:
                continue
            except OSError as exc:
                logger.warning("upload folder sweep could not delete a file (%s)", type(exc).__name__)
    if deleted:
        logger.warning("upload folder sweep deleted %d leftover file(s)", deleted)
    return deleted
