"""The checkpoint signer strategy the audit log uses by default (``settings.PELUIT_CHECKPOINT_SIGNER``).

``Ed25519Signer`` turns a secret into an Ed25519 key and signs through ``vault/crypto.py``, the vault's one crypto
module. The audit log's key comes from ``settings.PELUIT_CHECKPOINT_KEY`` (the environment variable or a value
generated once into ``var/secrets.json``), never from the database, so a dump alone can never forge a
checkpoint; a witness's key comes from its own key file (``manage.py audit_witness``). The 32-byte seed is
``SHA-256("peluit <purpose> key v1" || 0x0A || secret)``: any high-entropy string works as the secret, and the
same secret gives unrelated keys for different purposes.

Formats (verifier keys, key ids, cosignature layout) are the audit log's business: ``audit/signing.py``.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from vault import crypto

PURPOSES = frozenset({"checkpoint", "witness"})


@lru_cache(maxsize=8)
def _public_key(seed: bytes) -> bytes:
    return crypto.signing_public_key(seed)


def seed_for(secret: str, *, purpose: str) -> bytes:
    """Return the Ed25519 seed of ``secret`` for ``purpose`` ("checkpoint" or "witness")."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown signing purpose {purpose!r}")
    return hashlib.sha256(f"peluit {purpose} key v1\n".encode() + secret.encode()).digest()


class Ed25519Signer:
    """Ed25519 signatures (libsodium, through ``vault.crypto``) under a key derived from a secret."""

    def __init__(self, seed: bytes) -> None:
        if len(seed) != crypto.KEY_BYTES:
            raise ValueError("an Ed25519 seed is 32 bytes")
        self._seed = seed

    def __repr__(self) -> str:
        return "<Ed25519Signer>"

    @classmethod
    def from_secret(cls, secret: str, *, purpose: str) -> Ed25519Signer:
        """Return the signer whose key is derived from ``secret`` for ``purpose``."""
        return cls(seed_for(secret, purpose=purpose))

    def public_key(self) -> bytes:
        """Return the 32-byte Ed25519 public key."""
        return _public_key(self._seed)

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of ``message``."""
        return crypto.sign(self._seed, message)

    @staticmethod
    def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
        """Return True when ``signature`` is a valid Ed25519 signature of ``message`` by ``public_key``."""
        return crypto.verify_signature(public_key, message, signature)
