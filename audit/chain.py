"""The canonical bytes of an audit event and the hash chain over them. Pure Python, no Django.

An event's leaf bytes are its fields joined by newlines, in a fixed order behind a format tag. Two formats:

- ``peluit-audit/2`` (every event written since the salted-leaf change)::

      peluit-audit/2, salt, seq, at_us, actor_kind, actor_staff_id, actor_username, action, case_ref, details

  ``salt`` is 32 lowercase hexadecimal digits (128 random bits) kept in the event's row. A leaf hash, and every
  hash above it in a published proof, therefore commits to a value nobody outside the database knows, so the
  hashes a witness or a proof reader sees cannot be used to confirm a guess of an event's content.
- ``peluit-audit/1`` (events written before; their ``salt`` column is empty)::

      peluit-audit/1, seq, at_us, actor_kind, actor_staff_id, actor_username, action, case_ref, details

``details`` is canonical JSON (sorted keys, no whitespace, ASCII only). No field may hold a newline, so the
encoding is unambiguous. The leaf hash is RFC 6962's ``SHA-256(0x00 || leaf bytes)``, the same value the Merkle
tree uses, and the chained hash is ``SHA-256(previous chained hash || leaf hash)`` starting from 32 zero bytes.
The chain makes any edit, insertion, deletion or swap visible at the first event it touches.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping

from audit.merkle import leaf_hash

FORMAT_TAG = "peluit-audit/2"
FORMAT_TAG_V1 = "peluit-audit/1"
GENESIS = bytes(32)
HASH_SIZE = 32
SALT_BYTES = 16
# The event's columns in leaf order; ``row_bytes`` and the verifier's SQL (audit/verify.py) both follow it.
# ``salt`` is left out of the leaf entirely when empty (format 1).
FIELDS = (
    "salt",
    "seq",
    "at_us",
    "actor_kind",
    "actor_staff_id",
    "actor_username",
    "action",
    "case_ref",
    "details",
)

__all__ = [
    "FIELDS",
    "FORMAT_TAG",
    "FORMAT_TAG_V1",
    "GENESIS",
    "canonical_details",
    "chain_hash",
    "event_bytes",
    "leaf_hash",
    "new_salt",
    "row_bytes",
]

DetailValue = str | int | bool | None


def canonical_details(details: Mapping[str, DetailValue] | None) -> str:
    """Return ``details`` as canonical JSON text (sorted keys, compact, ASCII)."""
    return json.dumps(dict(details or {}), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def new_salt() -> str:
    """Return a fresh per-event salt: 128 random bits as 32 lowercase hexadecimal digits."""
    return secrets.token_hex(SALT_BYTES)


def event_bytes(
    *,
    salt: str,
    seq: int,
    at_us: int,
    actor_kind: str,
    actor_staff_id: int | None,
    actor_username: str,
    action: str,
    case_ref: str,
    details: str,
) -> bytes:
    """Return the canonical leaf bytes of one event (``details`` already canonical JSON text).

    An empty ``salt`` gives the format-1 bytes of an event written before salted leaves.
    """
    return row_bytes(salt, seq, at_us, actor_kind, actor_staff_id, actor_username, action, case_ref, details)


def row_bytes(
    salt: str,
    seq: int,
    at_us: int,
    actor_kind: str,
    actor_staff_id: int | None,
    actor_username: str,
    action: str,
    case_ref: str,
    details: str,
) -> bytes:
    """Return the leaf bytes from the columns in ``FIELDS`` order (positional, for tight loops)."""
    staff_id = "" if actor_staff_id is None else actor_staff_id
    tail = f"{seq}\n{at_us}\n{actor_kind}\n{staff_id}\n{actor_username}\n{action}\n{case_ref}\n{details}"
    if not salt:
        return f"{FORMAT_TAG_V1}\n{tail}".encode()
    return f"{FORMAT_TAG}\n{salt}\n{tail}".encode()


def chain_hash(previous: bytes, leaf: bytes) -> bytes:
    """Return the chained hash ``SHA-256(previous || leaf)``."""
    return hashlib.sha256(previous + leaf).digest()
