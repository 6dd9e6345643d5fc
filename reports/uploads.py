"""An upload handler that keeps one bounded file in memory: nothing uploaded to /verify/ touches the disk.

Django spools uploads over ``FILE_UPLOAD_MAX_MEMORY_SIZE`` to a named temporary file; a file someone checks on
the public verification page must never be stored, so this handler keeps the bytes in memory up to ``limit``
and drops the rest (``too_large`` then tells the view).
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class BoundedMemoryUploadHandler(FileUploadHandler):
    """Keep the uploaded file in memory; stop reading (and flag it) beyond ``limit`` bytes."""

    def __init__(self, request: Any = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.too_large = False
        self._buffer: io.BytesIO | None = None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        assert self._buffer is not None
        if start + len(raw_data) > self.limit:
            self.too_large = True
            self._buffer = io.BytesIO()  # drop what was read; nothing of it is kept
            raise StopUpload(connection_reset=False)
        self._buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile | None:
        if self._buffer is None or self.too_large:
            return None
        self._buffer.seek(0)
        return InMemoryUploadedFile(
            file=self._buffer,
            field_name=self.field_name,
            name=self.file_name or "upload.pdf",
            content_type=self.content_type or "application/octet-stream",
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
