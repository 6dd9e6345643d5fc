"""Streaming attachments: round trips, on-disk tampering, cleanup of partial and orphaned blobs."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage

from casework.models import StaffUser
from vault import formats
from vault import services as vault
from vault.exceptions import AccessDenied, CorruptCiphertext
from vault.models import AttachmentBlob

pytestmark = pytest.mark.django_db
KeyringOf = Callable[[StaffUser], vault.Keyring]


@pytest.fixture
def report(officer: StaffUser) -> tuple[uuid.UUID, vault.ReporterAccess]:
    report_id = uuid.uuid4()
    return report_id, vault.seal_report(report_id=report_id, recipients=[officer]).access


def pseudo_random_chunks(total: int, piece: int) -> Iterator[bytes]:
    """Yield ``total`` reproducible bytes in pieces of ``piece`` (not a multiple of 64 KiB)."""
    counter = 0
    produced = 0
    while produced < total:
        block = hashlib.sha512(counter.to_bytes(8, "big")).digest() * (piece // 64 + 1)
        block = block[: min(piece, total - produced)]
        counter += 1
        produced += len(block)
        yield block


def test_round_trip_streams_in_chunks(
    report: tuple[uuid.UUID, vault.ReporterAccess], officer: StaffUser, keyring_of: KeyringOf, _media_in_tmp: Path
) -> None:
    report_id, access = report
    total = 3 * formats.CHUNK_BYTES + 12345
    stored = vault.store_attachment(access=access, report_id=report_id, chunks=pseudo_random_chunks(total, 10_000))
    assert stored.size == total
    path = _media_in_tmp / stored.name
    # Padded (format 0x07): the file is as long as the size bucket, not the attachment.
    assert path.stat().st_size == formats.STREAM_PREAMBLE_BYTES + 4 * 17 + formats.padded_length(total + 1)
    assert stored.name.startswith("vault/") and str(report_id) not in stored.name
    chunks = list(vault.open_attachment(access=keyring_of(officer), report_id=report_id, name=stored.name))
    assert [len(c) for c in chunks] == [formats.CHUNK_BYTES] * 3 + [12345]
    assert b"".join(chunks) == b"".join(pseudo_random_chunks(total, 10_000))
    assert AttachmentBlob.objects.get(name=stored.name).report_id == report_id
    plain = b"".join(pseudo_random_chunks(4096, 4096))
    assert plain[:64] not in path.read_bytes()


def test_wrong_access_is_denied_before_reading(
    report: tuple[uuid.UUID, vault.ReporterAccess], other_officer: StaffUser, keyring_of: KeyringOf
) -> None:
    report_id, access = report
    stored = vault.store_attachment(access=access, report_id=report_id, chunks=[b"bukti"])
    with pytest.raises(AccessDenied):
        vault.open_attachment(access=keyring_of(other_officer), report_id=report_id, name=stored.name)
    with pytest.raises(AccessDenied):
        vault.store_attachment(access=keyring_of(other_officer), report_id=report_id, chunks=[b"x"])


def _tamper_cases(blob: bytes) -> dict[str, bytes]:
    pre = formats.STREAM_PREAMBLE_BYTES
    size = formats.CHUNK_BYTES + 17
    first, second = blob[pre : pre + size], blob[pre + size : pre + 2 * size]
    return {
        "bit flip in chunk": blob[: pre + 100] + bytes([blob[pre + 100] ^ 4]) + blob[pre + 101 :],
        "truncated to whole chunks": blob[: pre + 2 * size],
        "truncated mid-chunk": blob[:-10],
        "reordered": blob[:pre] + second + first + blob[pre + 2 * size :],
        "appended": blob + blob[-40:],
        "header flipped": blob[:10] + bytes([blob[10] ^ 1]) + blob[11:],
        "unknown version": b"\x09" + blob[1:],
        "empty": b"",
    }


@pytest.mark.parametrize("case", list(_tamper_cases(b"\0" * 300_000)))
def test_tampering_on_disk_is_detected(
    case: str, report: tuple[uuid.UUID, vault.ReporterAccess], _media_in_tmp: Path
) -> None:
    report_id, access = report
    stored = vault.store_attachment(
        access=access, report_id=report_id, chunks=pseudo_random_chunks(3 * formats.CHUNK_BYTES + 7, 65536)
    )
    path = _media_in_tmp / stored.name
    path.write_bytes(_tamper_cases(path.read_bytes())[case])
    with pytest.raises(CorruptCiphertext):
        b"".join(vault.open_attachment(access=access, report_id=report_id, name=stored.name))


def test_files_swapped_between_names_or_reports_fail(
    officer: StaffUser, report: tuple[uuid.UUID, vault.ReporterAccess], _media_in_tmp: Path
) -> None:
    report_id, access = report
    one = vault.store_attachment(access=access, report_id=report_id, chunks=[b"satu"])
    two = vault.store_attachment(access=access, report_id=report_id, chunks=[b"dua"])
    (_media_in_tmp / one.name).write_bytes((_media_in_tmp / two.name).read_bytes())
    with pytest.raises(CorruptCiphertext):
        list(vault.open_attachment(access=access, report_id=report_id, name=one.name))
    other_id = uuid.uuid4()
    other = vault.seal_report(report_id=other_id, recipients=[officer]).access
    with pytest.raises(CorruptCiphertext):
        list(vault.open_attachment(access=other, report_id=other_id, name=two.name))


def test_missing_blob_is_corrupt(report: tuple[uuid.UUID, vault.ReporterAccess]) -> None:
    report_id, access = report
    with pytest.raises(CorruptCiphertext):
        vault.open_attachment(access=access, report_id=report_id, name="vault/00/does-not-exist")


class Rejected(Exception):
    pass


def test_failure_while_streaming_leaves_no_blob(
    report: tuple[uuid.UUID, vault.ReporterAccess], _media_in_tmp: Path
) -> None:
    report_id, access = report

    def failing() -> Iterator[bytes]:
        yield b"x" * 200_000
        raise Rejected("the sanitiser refused half-way")

    with pytest.raises(Rejected):
        vault.store_attachment(access=access, report_id=report_id, chunks=failing())
    assert not [p for p in _media_in_tmp.rglob("*") if p.is_file()]
    assert not AttachmentBlob.objects.exists()


def test_delete_happens_after_commit(
    report: tuple[uuid.UUID, vault.ReporterAccess], _media_in_tmp: Path, django_capture_on_commit_callbacks: Any
) -> None:
    report_id, access = report
    stored = vault.store_attachment(access=access, report_id=report_id, chunks=[b"hapus"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        vault.delete_attachment(name=stored.name)
    assert (_media_in_tmp / stored.name).exists() and not AttachmentBlob.objects.filter(name=stored.name).exists()
    for callback in callbacks:
        callback()
    assert not (_media_in_tmp / stored.name).exists()


def test_sweep_removes_only_old_orphans(report: tuple[uuid.UUID, vault.ReporterAccess], _media_in_tmp: Path) -> None:
    report_id, access = report
    kept = vault.store_attachment(access=access, report_id=report_id, chunks=[b"tetap"])
    orphan = vault.store_attachment(access=access, report_id=report_id, chunks=[b"yatim"])
    young_orphan = vault.store_attachment(access=access, report_id=report_id, chunks=[b"baru"])
    AttachmentBlob.objects.filter(name__in=[orphan.name, young_orphan.name]).delete()  # as if rolled back
    old = time.time() - 2 * 3600
    os.utime(_media_in_tmp / orphan.name, (old, old))
    os.utime(_media_in_tmp / kept.name, (old, old))
    assert vault.sweep_orphaned_blobs() == 1
    assert not (_media_in_tmp / orphan.name).exists()
    assert (_media_in_tmp / kept.name).exists() and (_media_in_tmp / young_orphan.name).exists()


class ReadingStorage(InMemoryStorage):
    """A storage that consumes uploads with ``seek(0)`` and ``read(n)``, as S3 clients do."""

    def _save(self, name: str, content: Any) -> str:
        content.seek(0)
        pieces = []
        while piece := content.read(100_000):
            pieces.append(piece)
        return super()._save(name, ContentFile(b"".join(pieces)))


@pytest.mark.parametrize("backend", ["django.core.files.storage.InMemoryStorage", f"{__name__}.ReadingStorage"])
def test_any_django_storage_works(
    backend: str, settings: Any, report: tuple[uuid.UUID, vault.ReporterAccess], _media_in_tmp: Path
) -> None:
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": backend}}
    report_id, access = report
    total = 2 * formats.CHUNK_BYTES + 99
    stored = vault.store_attachment(access=access, report_id=report_id, chunks=pseudo_random_chunks(total, 5000))
    assert b"".join(vault.open_attachment(access=access, report_id=report_id, name=stored.name)) == b"".join(
        pseudo_random_chunks(total, 5000)
    )
    assert not [p for p in _media_in_tmp.rglob("*") if p.is_file()]  # nothing went to the disk
