"""Signatures on checkpoints: the signer strategy named in settings, verifier keys, and C2SP cosignatures.

The audit log imports no crypto library. Who turns a secret into Ed25519 signatures is a strategy class named
by dotted path in ``settings.PELUIT_CHECKPOINT_SIGNER`` (as ``PASSWORD_HASHERS`` names hashers); Peluit's is
``vault.checkpoint_signer.Ed25519Signer``, which works through ``vault/crypto.py``. An institution that keeps its
key in an HSM or a signing service plugs in its own class with the same four members (``CheckpointSigner``).

Everything else here is format: signed-note verifier keys (``name+hexkeyid+base64(type || key)``), key ids, and
the message and signature layout of a C2SP tlog-cosignature (``cosignature/v1``, Ed25519, type 0x04).
See https://c2sp.org/signed-note and https://c2sp.org/tlog-cosignature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, cast

from django.conf import settings
from django.utils.module_loading import import_string

from audit.note import NoteSignature, signature_line

ED25519 = 0x01  # a signed-note signature by the log's key
COSIGNATURE_ED25519 = 0x04  # a C2SP tlog-cosignature/v1 by a witness's key
KEY_ID_SIZE = 4
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
COSIGNATURE_HEADER = "cosignature/v1\n"
_TIMESTAMP = struct.Struct(">Q")
DEFAULT_SIGNER = "vault.checkpoint_signer.Ed25519Signer"
DEFAULT_KEY_NAME = "peluit.local/audit"


class VerifierKeyError(ValueError):
    """A verifier key string that is not ``name+hexkeyid+base64(type||key)`` for an Ed25519 key."""


class CheckpointSigner(Protocol):
    """What ``settings.PELUIT_CHECKPOINT_SIGNER`` names: Ed25519 signatures from a secret."""

    @classmethod
    def from_secret(cls, secret: str, *, purpose: str) -> CheckpointSigner:
        """Return the signer whose key is derived from ``secret`` for ``purpose`` ("checkpoint" or "witness")."""
        ...

    def public_key(self) -> bytes:
        """Return the 32-byte Ed25519 public key."""
        ...

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of ``message``."""
        ...

    @staticmethod
    def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
        """Return True when ``signature`` is a valid Ed25519 signature of ``message`` by ``public_key``."""
        ...


@lru_cache(maxsize=4)
def _signer_class(path: str) -> type[CheckpointSigner]:
    return cast(type[CheckpointSigner], import_string(path))


def signer_class() -> type[CheckpointSigner]:
    """Return the signer strategy class named by ``settings.PELUIT_CHECKPOINT_SIGNER``."""
    return _signer_class(str(getattr(settings, "PELUIT_CHECKPOINT_SIGNER", DEFAULT_SIGNER)))


def verify_ed25519(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Return True when ``signature`` is ``public_key``'s Ed25519 signature of ``message`` (via the strategy)."""
    if len(public_key) != PUBLIC_KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    return signer_class().verify(public_key, message, signature)


def valid_key_name(name: str) -> bool:
    """Return True for a signed-note key name: non-empty, printable, no whitespace, no ``+``."""
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name) and name.isprintable()


def key_id(name: str, key_type: int, public_key: bytes) -> bytes:
    """Return the signed-note key id: ``SHA-256(name || 0x0A || type || public key)[:4]``."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()[:KEY_ID_SIZE]


@dataclass(frozen=True)
class VerifierKey:
    """A signed-note verifier: key name, signature type (0x01 log, 0x04 cosigner) and Ed25519 public key."""

    name: str
    public_key: bytes
    key_type: int = ED25519

    @property
    def key_id(self) -> bytes:
        """Return the 4-byte key id that signature lines by this key carry."""
        return key_id(self.name, self.key_type, self.public_key)

    def encode(self) -> str:
        """Return the verifier key string ``name+hexkeyid+base64(type||public key)``."""
        encoded = base64.b64encode(bytes([self.key_type]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Return True when ``signature`` (64 bytes, without key id) is this key's signature of ``message``."""
        return verify_ed25519(self.public_key, message, signature)

    def matches(self, signature: NoteSignature) -> bool:
        """Return True when a signature line names this key (same name and key id)."""
        return signature.name == self.name and signature.key_id == self.key_id


def parse_verifier_key(text: str, *, key_type: int = ED25519) -> VerifierKey:
    """Parse ``name+hexkeyid+base64(type||key)`` of the given type; raise ``VerifierKeyError`` if it is not one."""
    parts = text.strip().split("+", 2)  # the base64 key may itself contain "+"
    if len(parts) != 3:
        raise VerifierKeyError("a verifier key has three parts: name+keyid+key")
    name, hex_id, encoded = parts
    if not valid_key_name(name):
        raise VerifierKeyError("the key name is empty or holds spaces")
    try:
        raw_id = bytes.fromhex(hex_id)
        raw_key = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error):
        raise VerifierKeyError("the key id must be hexadecimal and the key base64") from None
    if len(raw_id) != KEY_ID_SIZE or len(hex_id) != 2 * KEY_ID_SIZE:
        raise VerifierKeyError("the key id must be 8 hexadecimal digits")
    if len(raw_key) != 1 + PUBLIC_KEY_SIZE or raw_key[0] != key_type:
        kind = "Ed25519 cosigner keys (type 0x04" if key_type == COSIGNATURE_ED25519 else "Ed25519 keys (type 0x01"
        raise VerifierKeyError(f"only {kind}, 32 bytes) are accepted here")
    verifier = VerifierKey(name=name, public_key=raw_key[1:], key_type=key_type)
    if verifier.key_id != raw_id:
        raise VerifierKeyError("the key id does not match the key name and key")
    return verifier


# --- The log's own key ---------------------------------------------------------------------------------
def key_name() -> str:
    """Return the name of the checkpoint key (the log's origin line; ``PELUIT_AUDIT_ORIGIN``)."""
    name = str(getattr(settings, "PELUIT_AUDIT_ORIGIN", DEFAULT_KEY_NAME))
    if not valid_key_name(name):
        raise VerifierKeyError("PELUIT_AUDIT_ORIGIN must be non-empty, without spaces or '+'")
    return name


def log_signer() -> CheckpointSigner:
    """Return the signer of this installation's checkpoints (secret: ``settings.PELUIT_CHECKPOINT_KEY``)."""
    return signer_class().from_secret(str(settings.PELUIT_CHECKPOINT_KEY), purpose="checkpoint")


def verifier_key() -> VerifierKey:
    """Return the verifier for checkpoints this installation signs."""
    return VerifierKey(name=key_name(), public_key=log_signer().public_key())


def sign_note_text(text: str) -> str:
    """Return the signature line (with its newline) of this installation's key over a note's text."""
    verifier = verifier_key()
    return signature_line(verifier.name, verifier.key_id, log_signer().sign(text.encode()))


# --- Cosignatures (C2SP tlog-cosignature, Ed25519) -----------------------------------------------------
def cosignature_message(text: str, timestamp: int) -> bytes:
    """Return what a cosigner signs: ``cosignature/v1``, ``time <timestamp>``, then the checkpoint's note text."""
    if not 0 <= timestamp < 2**63:
        raise ValueError("a cosignature timestamp is a POSIX time below 2^63")
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{text}".encode()


def cosign(text: str, *, signer: CheckpointSigner, name: str, timestamp: int) -> str:
    """Return the cosignature line (with its newline) of ``signer`` named ``name`` over a checkpoint's text."""
    verifier = VerifierKey(name=name, public_key=signer.public_key(), key_type=COSIGNATURE_ED25519)
    signature = signer.sign(cosignature_message(text, timestamp))
    return signature_line(name, verifier.key_id, _TIMESTAMP.pack(timestamp) + signature)


def cosignature_timestamp(signature: NoteSignature) -> int | None:
    """Return the timestamp of a cosignature line, or None when it is not shaped like one."""
    if len(signature.signature) != _TIMESTAMP.size + SIGNATURE_SIZE:
        return None
    value: int = _TIMESTAMP.unpack_from(signature.signature)[0]
    return value if value < 2**63 else None


def verify_cosignature(text: str, signature: NoteSignature, witness: VerifierKey) -> int | None:
    """Return the cosignature's timestamp when ``signature`` is ``witness``'s valid cosignature of ``text``."""
    if witness.key_type != COSIGNATURE_ED25519 or not witness.matches(signature):
        return None
    timestamp = cosignature_timestamp(signature)
    if timestamp is None:
        return None
    if not witness.verify(cosignature_message(text, timestamp), signature.signature[_TIMESTAMP.size :]):
        return None
    return timestamp


def configured_witnesses(*, strict: bool = False) -> list[VerifierKey]:
    """Return the witness keys this log accepts cosignatures from (``settings.PELUIT_AUDIT_WITNESSES``).

    A malformed key is skipped (system check ``audit.E002`` names it at start-up); with ``strict`` it raises
    ``VerifierKeyError`` instead.
    """
    witnesses = []
    for text in getattr(settings, "PELUIT_AUDIT_WITNESSES", ()):
        if not str(text).strip():
            continue
        try:
            witnesses.append(parse_verifier_key(str(text), key_type=COSIGNATURE_ED25519))
        except VerifierKeyError:
            if strict:
                raise
    return witnesses
