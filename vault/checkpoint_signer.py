"""The audit log's checkpoint signing key (Ed25519) and the signed-note signature primitives.

The private key never enters the database: it comes from the environment variable ``PELUIT_CHECKPOINT_KEY`` or
is generated once into ``var/secrets.json`` (``settings.PELUIT_CHECKPOINT_KEY``), so a database dump alone can
never forge a checkpoint. The 32-byte Ed25519 seed is ``SHA-256("peluit checkpoint key v1" || 0x0A || secret)``,
so any high-entropy string works as the secret.

Key ids and verifier keys follow the C2SP signed-note format: the key id is the first four bytes of
``SHA-256(name || 0x0A || 0x01 || public key)`` and the verifier key reads ``name+hexkeyid+base64(0x01 || public
key)``, which golang.org/x/mod/sumdb/note and other signed-note implementations accept.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import SigningKey, VerifyKey

ED25519_TYPE = b"\x01"
KEY_ID_SIZE = 4
SIGNATURE_SIZE = 64
_SEED_CONTEXT = b"peluit checkpoint key v1\n"
DEFAULT_KEY_NAME = "peluit.local/audit"


class VerifierKeyError(ValueError):
    """A verifier key string that is not ``name+hexkeyid+base64(0x01||key)`` for an Ed25519 key."""


@dataclass(frozen=True)
class VerifierKey:
    """A signed-note verifier: key name, 4-byte key id and the 32-byte Ed25519 public key."""

    name: str
    key_id: bytes
    public_key: bytes

    def encode(self) -> str:
        """Return the verifier key string ``name+hexkeyid+base64(0x01||public key)``."""
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(ED25519_TYPE + self.public_key).decode()}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Return True when ``signature`` (64 bytes, without key id) is this key's signature of ``message``."""
        if len(signature) != SIGNATURE_SIZE:
            return False
        try:
            VerifyKey(self.public_key).verify(message, signature)
        except (BadSignatureError, CryptoError, ValueError):
            return False
        return True


def valid_key_name(name: str) -> bool:
    """Return True for a signed-note key name: non-empty, no whitespace, no ``+``."""
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name) and name.isprintable()


def key_id(name: str, public_key: bytes) -> bytes:
    """Return the signed-note key id of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519_TYPE + public_key).digest()[:KEY_ID_SIZE]


def key_name() -> str:
    """Return the name of the checkpoint key (the log's origin line; ``PELUIT_AUDIT_ORIGIN``)."""
    name = str(getattr(settings, "PELUIT_AUDIT_ORIGIN", DEFAULT_KEY_NAME))
    if not valid_key_name(name):
        raise VerifierKeyError("PELUIT_AUDIT_ORIGIN must be non-empty, without spaces or '+'")
    return name


@lru_cache(maxsize=4)
def _signing_key(secret: str) -> SigningKey:
    return SigningKey(hashlib.sha256(_SEED_CONTEXT + secret.encode()).digest())


def _current_signing_key() -> SigningKey:
    return _signing_key(str(settings.PELUIT_CHECKPOINT_KEY))


def verifier_key() -> VerifierKey:
    """Return the verifier for checkpoints this installation signs."""
    public = bytes(_current_signing_key().verify_key)
    name = key_name()
    return VerifierKey(name=name, key_id=key_id(name, public), public_key=public)


def sign(message: bytes) -> bytes:
    """Return the 64-byte Ed25519 signature of ``message`` under the checkpoint key."""
    return bytes(_current_signing_key().sign(message).signature)


def parse_verifier_key(text: str) -> VerifierKey:
    """Parse ``name+hexkeyid+base64(0x01||key)``; raise ``VerifierKeyError`` if malformed or inconsistent."""
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
    if len(raw_key) != 33 or raw_key[:1] != ED25519_TYPE:
        raise VerifierKeyError("only Ed25519 verifier keys (type 0x01, 32 bytes) are supported")
    public = raw_key[1:]
    if key_id(name, public) != raw_id:
        raise VerifierKeyError("the key id does not match the key name and key")
    return VerifierKey(name=name, key_id=raw_id, public_key=public)
