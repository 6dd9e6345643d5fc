"""Files held for a reporter between a form error and the corrected form, sealed under the form's token.

A report form carries a random one-time token (``submission_token``, 32 random bytes in URL-safe base64). When
the form comes back with an error, the files the reporter chose are cleaned by intake and held here so they need
not be chosen again. The token is the only key:

- lookup id = BLAKE2b(token, key = pepper key, person ``peluit-held-look``): stored, finds the rows;
- held key  = BLAKE2b(token, key = pepper key, person ``peluit-held-key``): never stored; it encrypts each
  file (format 0x05, bound to the row's id and storage name) and its description (format 0x01, bound to the
  row's id, purpose ``held-label``).

Neither the token nor anything derived from it that opens a file is stored, so a dump of the database and the
media directory reveals only sizes and times. Rows count for ``conf.HELD_TTL`` (one hour) and are then purged
with their files (``purge_expired_held_files``, run by Celery beat).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from vault import conf, crypto, formats
from vault.attachments import (
    decrypt_from_storage,
    delete_blob_on_commit,
    encrypt_to_storage,
    new_blob_name,
    sweep_unrecorded,
)
from vault.exceptions import AccessDenied
from vault.models import HeldBlob

# Shorter tokens are not random enough to be the only key (API clients may choose their own tokens).
HELD_TOKEN_MIN_CHARS = 32
# The report forms refuse a longer token (``submission_token``): files held under one could never be sent.
HELD_TOKEN_MAX_CHARS = 64
_LABEL_PURPOSE = "held-label"


@dataclass(frozen=True)
class HeldFile:
    """A held file as its owner sees it: id, the caller's description (opened), plaintext size, when held."""

    id: uuid.UUID
    label: bytes
    size: int
    held_at: datetime


def can_hold(token: str) -> bool:
    """Return True when ``token`` is long enough to be the only key to held files, and a form may send it."""
    return HELD_TOKEN_MIN_CHARS <= len(token) <= HELD_TOKEN_MAX_CHARS


def _keys(token: str) -> tuple[bytes, bytes]:
    if not can_hold(token):
        raise AccessDenied()
    material = token.encode("utf-8", "surrogatepass")
    pepper = formats.pepper_key(conf.pepper())
    return (
        crypto.derive_key(material, label=b"peluit-held-look", key=pepper),
        crypto.derive_key(material, label=b"peluit-held-key", key=pepper),
    )


def _live(lookup_id: bytes) -> Iterable[HeldBlob]:
    cutoff = timezone.now() - conf.HELD_TTL
    return HeldBlob.objects.filter(lookup_id=lookup_id, created_at__gt=cutoff).order_by("created_at", "id")


def hold_file(*, token: str, chunks: Iterable[bytes], label: bytes) -> HeldFile:
    """Encrypt ``chunks`` into storage under ``token`` with the description ``label``; return the held file.

    The file is written before its row (outside any transaction, so a large file holds no database lock); a
    file whose row never committed is deleted by ``purge_expired_held_files``. Raises ``AccessDenied`` for a
    token shorter than ``HELD_TOKEN_MIN_CHARS``.
    """
    lookup_id, key = _keys(token)
    held_id = uuid.uuid4()
    name = new_blob_name(conf.HELD_PREFIX)
    size = encrypt_to_storage(key=key, bind_id=held_id, name=name, chunks=chunks)
    now = timezone.now()
    try:
        with transaction.atomic():
            HeldBlob.objects.create(
                id=held_id,
                lookup_id=lookup_id,
                name=name,
                size=size,
                sealed_label=formats.content_seal(key, held_id, _LABEL_PURPOSE, label),
                created_at=now,
            )
    except BaseException:
        delete_blob_on_commit(name)
        raise
    return HeldFile(id=held_id, label=label, size=size, held_at=now)


def held_files(*, token: str) -> list[HeldFile]:
    """Return the live files held under ``token``, oldest first (none for a token that cannot hold files).

    A row whose description does not open with this token (tampered with) is left out.
    """
    if not can_hold(token):
        return []
    lookup_id, key = _keys(token)
    found = []
    for row in _live(lookup_id):
        try:
            label = formats.content_open(key, row.id, _LABEL_PURPOSE, bytes(row.sealed_label))
        except formats.FormatError:
            continue
        found.append(HeldFile(id=row.id, label=label, size=row.size, held_at=row.created_at))
    return found


def open_held_file(*, token: str, held_id: uuid.UUID) -> Iterator[bytes]:
    """Return the decrypted chunks of a live file held under ``token``; raise ``AccessDenied`` otherwise."""
    lookup_id, key = _keys(token)
    row = next((r for r in _live(lookup_id) if r.id == held_id), None)
    if row is None:
        raise AccessDenied()
    return decrypt_from_storage(key=key, bind_id=row.id, name=row.name)


@transaction.atomic(savepoint=False)  # a transaction of its own, or the caller's (no savepoint: it fails whole)
def release_held_files(*, token: str, keep: Sequence[uuid.UUID] = ()) -> int:
    """Delete the files held under ``token`` except those in ``keep``; return how many were deleted.

    The rows go with the caller's transaction, the files once it commits.
    """
    if not can_hold(token):
        return 0
    lookup_id, _key = _keys(token)
    rows = HeldBlob.objects.filter(lookup_id=lookup_id).exclude(id__in=list(keep))
    names = list(rows.values_list("name", flat=True))
    if names:  # most forms hold no files: one query then, not three
        rows.delete()
    for name in names:
        delete_blob_on_commit(name)
    return len(names)


def purge_expired_held_files() -> int:
    """Delete held files older than ``conf.HELD_TTL`` and files of holds that never committed; return how many."""
    cutoff = timezone.now() - conf.HELD_TTL
    with transaction.atomic():
        expired = HeldBlob.objects.filter(created_at__lte=cutoff)
        names = list(expired.values_list("name", flat=True))
        expired.delete()
        for name in names:
            delete_blob_on_commit(name)
    orphans = sweep_unrecorded(
        prefix=conf.HELD_PREFIX,
        recorded=lambda name: HeldBlob.objects.filter(name=name).exists(),
        older_than=conf.HELD_TTL,
    )
    return len(names) + orphans
