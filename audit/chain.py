"""The canonical bytes of an audit event and the hash chain over them. Pure Python, no Django.

An event's leaf bytes are its fields joined by newlines, in a fixed order behind a format tag::

    peluit-audit/1, seq, at_us, actor_kind, actor_staff_id, actor_username, action, case_ref, details

(``details`` is canonical JSON: sorted keys, no whitespace, ASCII only). No field may hold a newline,
so the encoding is unambiguous. The leaf hash is RFC 6962's ``SHA-256(0x00 || leaf bytes)``, the same value
the Merkle tree uses, and the chained hash is ``SHA-256(previous chained hash || leaf hash)`` starting from
32 zero bytes. The chain makes any edit, insertion, deletion or swap visible at the first event it touches.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from audit.merkle import leaf_hash

FORMAT_TAG = "peluit-audit/1"
GENESIS = bytes(32)
HASH_SIZE = 32
# The event's columns in leaf order; ``row_bytes`` and the verifier's SQL (audit/verify.py) both follow it.
FIELDS = ("seq", "at_us", "actor_kind", "actor_staff_id", "actor_username", "action", "case_ref", "details")

__all__ = [
    "FIELDS",
    "FORMAT_TAG",
    "GENESIS",
    "canonical_details",
    "chain_hash",
    "event_bytes",
    "leaf_hash",
    "row_bytes",
]

DetailValue = str | int | bool | None


def canonical_details(details: Mapping[str, DetailValue] | None) -> str:
    """Return ``details`` as canonical JSON text (sorted keys, compact, ASCII)."""
    return json.dumps(dict(details or {}), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def event_bytes(
    *,
    seq: int,
    at_us: int,
    actor_kind: str,
    actor_staff_id: int | None,
    actor_username: str,
    action: str,
    case_ref: str,
    details: str,
) -> bytes:
    """Return the canonical leaf bytes of one event (``details`` already canonical JSON text)."""
    return row_bytes(seq, at_us, actor_kind, actor_staff_id, actor_username, action, case_ref, details)


def row_bytes(
    seq: int,
    at_us: int,
    actor_kind: str,
    actor_staff_id: int | None,
    actor_username: str,
    action: str,
    case_ref: str,
    details: str,
) -> bytes:
    """Return the leaf bytes from the columns in table order (positional, for the verifier's tight loop)."""
    staff_id = "" if actor_staff_id is None else actor_staff_id
    return (
        f"{FORMAT_TAG}\n{seq}\n{at_us}\n{actor_kind}\n{staff_id}\n{actor_username}\n{action}\n{case_ref}\n{details}"
    ).encode()


def chain_hash(previous: bytes, leaf: bytes) -> bytes:
    """Return the chained hash ``SHA-256(previous || leaf)``."""
    return hashlib.sha256(previous + leaf).digest()
