"""Envelopes: a short text sealed for several staff members at once, self-contained in one blob.

For data that must not be linked to a report, such as an answer to the satisfaction survey: the blob carries a
fresh data key sealed to each recipient's public key and to the escrow key, so no ``CaseKey`` row (with its
report id and creation time) is written beside it and no grant is audited. Format 0x06 (docs/vault.md):

    06 ‖ count (u16) ‖ count × [officer id (u64, 0 = escrow) ‖ length (u16) ‖ sealed key (0x03)] ‖ content (0x01)

The sealed keys are bound to ``envelope:<item id><purpose>``, the content to the item id and purpose.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.actions import Action
from vault import crypto, formats
from vault.access import EscrowKeyring, Keyring
from vault.events import record
from vault.exceptions import AccessDenied, CorruptCiphertext, NotSetUp
from vault.models import EscrowKey, OfficerKey
from vault.permissions import Staff, may_hold_case_keys

ENVELOPE_V1 = 0x06
_COUNT = struct.Struct(">H")
_ENTRY = struct.Struct(">QH")
ESCROW_ENTRY = 0
# Recipients beyond this are a caller's mistake (an envelope is for a few readers, not everyone).
MAX_RECIPIENTS = 200


def _context(item_id: uuid.UUID, purpose: str) -> bytes:
    return b"envelope:" + item_id.bytes + purpose.encode("utf-8")


def seal_envelope(*, item_id: uuid.UUID, purpose: str, plaintext: bytes, recipients: Sequence[Staff]) -> bytes:
    """Return ``plaintext`` sealed for the escrow key and each recipient who may hold case keys and has a key.

    Writes nothing and records nothing: the envelope lives only in the caller's row. Raises ``NotSetUp`` when
    there is no escrow key (an envelope nobody could open later must not be made).
    """
    escrow = EscrowKey.objects.first()
    if escrow is None:
        raise NotSetUp()
    data_key = crypto.random_key()
    context = _context(item_id, purpose)
    entries = [(ESCROW_ENTRY, formats.sealed_key(bytes(escrow.public_key), data_key, context=context))]
    wanted = {user.pk: user for user in recipients if may_hold_case_keys(user)}
    for row in OfficerKey.objects.filter(user_id__in=list(wanted)).order_by("user_id")[:MAX_RECIPIENTS]:
        entries.append((int(row.user_id), formats.sealed_key(bytes(row.public_key), data_key, context=context)))
    parts = [bytes([ENVELOPE_V1]), _COUNT.pack(len(entries))]
    for officer_id, sealed in entries:
        parts.append(_ENTRY.pack(officer_id, len(sealed)) + sealed)
    parts.append(formats.content_seal(data_key, item_id, purpose, plaintext))
    return b"".join(parts)


def _entries(blob: bytes) -> tuple[dict[int, bytes], bytes]:
    """Split an envelope into {officer id: sealed key} and the content blob; ``FormatError`` if malformed."""
    if not blob or blob[0] != ENVELOPE_V1 or len(blob) < 1 + _COUNT.size:
        raise formats.FormatError("not an envelope")
    (count,) = _COUNT.unpack_from(blob, 1)
    offset = 1 + _COUNT.size
    entries: dict[int, bytes] = {}
    for _index in range(count):
        if offset + _ENTRY.size > len(blob):
            raise formats.FormatError("truncated envelope")
        officer_id, length = _ENTRY.unpack_from(blob, offset)
        offset += _ENTRY.size
        if offset + length > len(blob):
            raise formats.FormatError("truncated envelope")
        entries[officer_id] = blob[offset : offset + length]
        offset += length
    return entries, blob[offset:]


def envelope_readers(blob: bytes) -> set[int]:
    """Return the ids of the staff an envelope is sealed to (the escrow entry not included)."""
    try:
        entries, _content = _entries(bytes(blob))
    except formats.FormatError:
        return set()
    return {officer_id for officer_id in entries if officer_id != ESCROW_ENTRY}


def open_envelope(*, access: Keyring | EscrowKeyring, item_id: uuid.UUID, purpose: str, blob: bytes) -> bytes:
    """Return an envelope's plaintext for ``access``; ``AccessDenied`` when it is not sealed to it.

    Each keyring records one ``vault.envelope_opened`` event per purpose (that is, per request), with the
    purpose only: never the item id, which must stay unlinked to anything else in the log.
    """
    if isinstance(access, Keyring) and not may_hold_case_keys(access.user):
        raise AccessDenied()
    try:
        entries, content = _entries(bytes(blob))
    except formats.FormatError as exc:
        raise CorruptCiphertext() from exc
    entry = entries.get(int(access.user.pk) if isinstance(access, Keyring) else ESCROW_ENTRY)
    if entry is None:
        raise AccessDenied(_("This text was sealed before you could read such texts."))
    try:
        data_key = formats.sealed_key_open(access._private_key, entry, context=_context(item_id, purpose))
        plaintext = formats.content_open(data_key, item_id, purpose, content)
    except formats.FormatError as exc:
        raise CorruptCiphertext() from exc
    marker = (uuid.UUID(int=0), "envelope:" + purpose)
    if marker not in access._audited:
        with transaction.atomic():
            record(
                action=Action.ENVELOPE_OPENED,
                actor=access.user if isinstance(access, Keyring) else access.actor,
                details={"purpose": purpose, "via": "officer" if isinstance(access, Keyring) else "escrow"},
            )
        access._audited.add(marker)
    return plaintext
