"""Encrypted attachments in Django storage, streamed in 64 KiB secretstream chunks, never whole in memory.

Storage names are random (``vault/ab/<32 hex>``) and say nothing about the report. Each file is bound to its
report and its storage name, so a file swapped with another (even of the same report) fails to open.
A blob is recorded in ``AttachmentBlob`` in the caller's transaction; a file whose row never committed is an
orphan that ``sweep_orphaned_blobs`` (``manage.py vault_sweep``) deletes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vault import conf, formats
from vault.access import Access, unseal_report_key
from vault.exceptions import CorruptCiphertext, VaultError
from vault.models import AttachmentBlob

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredAttachment:
    """Where an encrypted attachment went (``name``, for the caller's model) and its plaintext ``size``.

    The vault does not keep the size: the caller seals it with the file's name if officers need it. The blob
    itself is padded (format 0x07), so its length tells only the size bucket.
    """

    name: str
    size: int


def attachment_storage() -> Storage:
    """Return the storage for encrypted blobs (``STORAGES['default']``: files on disk, or S3-compatible)."""
    return storages["default"]


class _EncryptingFile(File):  # type: ignore[type-arg]
    """A write-once file whose content is produced by the encrypting generator, for ``Storage.save``.

    ``chunks()`` serves storages that stream (FileSystemStorage); ``read()`` serves those that read.
    """

    def __init__(self, pieces: Iterator[bytes], name: str) -> None:
        super().__init__(None, name)
        self._pieces = pieces
        self._buffer = bytearray()
        self._position = 0

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        if self._buffer:
            yield bytes(self._buffer)
            self._buffer.clear()
        yield from self._pieces

    def multiple_chunks(self, chunk_size: int | None = None) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._buffer += piece
        if size < 0:
            size = len(self._buffer)
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        self._position += len(out)
        return out

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = 0) -> int:
        """Allow only the no-op seeks storages do before reading (e.g. ``seek(0)`` at the start)."""
        target = offset if whence == 0 else self._position + offset if whence == 1 else -1
        if target != self._position:
            raise OSError("an encrypting stream cannot seek")
        return self._position

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return False

    def close(self) -> None:
        return None


def new_blob_name(prefix: str = conf.ATTACHMENT_PREFIX) -> str:
    """Return a random storage name under ``prefix`` (it says nothing about what it holds)."""
    token = uuid.uuid4().hex
    return f"{prefix}/{token[:2]}/{token}"


@transaction.atomic
def store_attachment(*, access: Access, report_id: uuid.UUID, chunks: Iterable[bytes]) -> StoredAttachment:
    """Encrypt ``chunks`` (padded, format 0x07) while streaming them into storage; return the storage name and
    plaintext size.

    Raises ``AccessDenied`` when ``access`` cannot use the report's key. If reading ``chunks`` fails (e.g.
    the sanitiser rejects the file half-way), the partial blob is deleted and the error propagates.
    """
    stored = write_attachment(access=access, report_id=report_id, chunks=chunks)
    record_attachments(report_id=report_id, stored=[stored])
    return stored


def write_attachment(*, access: Access, report_id: uuid.UUID, chunks: Iterable[bytes]) -> StoredAttachment:
    """Encrypt ``chunks`` into storage without recording the blob: for work done before a transaction.

    The blob is an orphan (``sweep_orphaned_blobs``) until ``record_attachments`` records it in the caller's
    transaction; the caller deletes it (``delete_attachment``) if that transaction fails. Errors as for
    ``store_attachment``.
    """
    data_key = unseal_report_key(access, report_id, audit=False)
    name = new_blob_name()
    size = encrypt_to_storage(key=data_key, bind_id=report_id, name=name, chunks=chunks)
    return StoredAttachment(name=name, size=size)


def record_attachments(*, report_id: uuid.UUID, stored: Sequence[StoredAttachment]) -> None:
    """Record blobs written by ``write_attachment`` (one insert), inside the caller's transaction.

    The sizes are not recorded (the caller seals them with the file's name).
    """
    if stored:
        AttachmentBlob.objects.bulk_create([AttachmentBlob(name=item.name, report_id=report_id) for item in stored])


def encrypt_to_storage(*, key: bytes, bind_id: uuid.UUID, name: str, chunks: Iterable[bytes]) -> int:
    """Stream ``chunks`` encrypted (padded, format 0x07, bound to ``bind_id`` and ``name``) into storage as ``name``.

    Return the plaintext size. On any failure the partial blob is deleted and the error propagates.
    """
    storage = attachment_storage()
    size = 0

    def counted() -> Iterator[bytes]:
        nonlocal size
        for chunk in chunks:
            size += len(chunk)
            yield chunk

    pieces = formats.stream_encrypt(key, bind_id, name, counted())
    try:
        saved = storage.save(name, _EncryptingFile(pieces, name))
    except BaseException:
        _delete_quietly(storage, name)
        raise
    if saved != name:  # the name is bound into the ciphertext; a renamed blob would never open
        _delete_quietly(storage, saved)
        raise VaultError(_("The attachment could not be stored."))
    return size


def delete_blob_on_commit(name: str) -> None:
    """Delete blob ``name`` from storage once the current transaction commits (at once outside one)."""
    storage = attachment_storage()
    transaction.on_commit(lambda: _delete_quietly(storage, name))


def _delete_quietly(storage: Storage, name: str) -> None:
    try:
        if storage.exists(name):
            storage.delete(name)
    except OSError:  # pragma: no cover - the sweep will find it
        logger.warning("vault: could not delete partial blob %s", name)


def open_attachment(*, access: Access, report_id: uuid.UUID, name: str) -> Iterator[bytes]:
    """Return an iterator of the decrypted chunks of an attachment.

    Access and the file header are checked now (``AccessDenied``, ``CorruptCiphertext``); tampering further
    in (flipped bits, reordered or missing chunks, truncation) raises ``CorruptCiphertext`` while iterating,
    before any forged chunk is returned.
    """
    return decrypt_from_storage(key=unseal_report_key(access, report_id, audit=True), bind_id=report_id, name=name)


def decrypt_from_storage(*, key: bytes, bind_id: uuid.UUID, name: str) -> Iterator[bytes]:
    """Return an iterator of the decrypted chunks of blob ``name`` (written by ``encrypt_to_storage``).

    A missing blob or a bad header raises ``CorruptCiphertext`` now; tampering further in while iterating.
    """
    storage = attachment_storage()
    try:
        handle: IO[Any] = storage.open(name, "rb")
    except (OSError, ValueError) as exc:
        logger.error("vault: attachment blob %s is missing", name)
        raise CorruptCiphertext() from exc
    try:
        reader = formats.StreamReader(key, bind_id, name, handle.read(formats.STREAM_PREAMBLE_BYTES))
    except formats.FormatError as exc:
        handle.close()
        raise CorruptCiphertext() from exc
    return _decrypted(reader, handle, name)


def _decrypted(reader: formats.StreamReader, handle: IO[Any], name: str) -> Iterator[bytes]:
    try:
        yield from reader.plaintext_chunks(handle.read)
    except formats.FormatError as exc:
        logger.error("vault: attachment blob %s does not open", name)
        raise CorruptCiphertext() from exc
    finally:
        handle.close()


@transaction.atomic
def delete_attachment(*, name: str) -> None:
    """Forget an attachment blob now and delete its file once the transaction commits."""
    AttachmentBlob.objects.filter(name=name).delete()
    delete_blob_on_commit(name)


def sweep_orphaned_blobs(*, older_than: timedelta = timedelta(hours=1)) -> int:
    """Delete files under the vault prefix that no ``AttachmentBlob`` row names; return how many.

    Only files older than ``older_than`` are considered, so uploads in progress are never touched.
    """
    return sweep_unrecorded(
        prefix=conf.ATTACHMENT_PREFIX,
        recorded=lambda name: AttachmentBlob.objects.filter(name=name).exists(),
        older_than=older_than,
    )


def sweep_unrecorded(*, prefix: str, recorded: Callable[[str], bool], older_than: timedelta) -> int:
    """Delete the files under ``prefix`` older than ``older_than`` for which ``recorded(name)`` is False."""
    storage = attachment_storage()
    cutoff = timezone.now() - older_than
    deleted = 0
    for name in _walk(storage, prefix):
        if recorded(name):
            continue
        if storage.get_modified_time(name) >= cutoff:
            continue
        _delete_quietly(storage, name)
        deleted += 1
    return deleted


def _walk(storage: Storage, prefix: str) -> Iterator[str]:
    try:
        directories, files = storage.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return
    for file_name in files:
        yield f"{prefix}/{file_name}"
    for directory in directories:
        yield from _walk(storage, f"{prefix}/{directory}")
