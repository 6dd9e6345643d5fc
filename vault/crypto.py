"""Crypto primitives of the vault, on libsodium (PyNaCl). No Django in here.

Everything above this module speaks in these few operations: random keys, BLAKE2b key derivation,
Argon2id, XChaCha20-Poly1305 with associated data, X25519 sealed boxes, the secretstream construction
for files and Ed25519 signatures. Failures of authentication surface as ``CryptoFailure``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import nacl.bindings as sodium
import nacl.exceptions
import nacl.pwhash.argon2id as argon2id
import nacl.signing
import nacl.utils

from vault.host_slots import HostSlot, HostSlots, HostSlotsUnavailable

logger = logging.getLogger(__name__)

KEY_BYTES = 32
SALT_BYTES = 16
NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES  # 24
AEAD_TAG_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES  # 16
SEAL_OVERHEAD = sodium.crypto_box_SEALBYTES  # 48
STREAM_HEADER_BYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES  # 24
STREAM_TAG_BYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES  # 17
STREAM_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
STREAM_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
ARGON2ID_OPS_MIN = argon2id.OPSLIMIT_MIN
ARGON2ID_MEM_MIN = argon2id.MEMLIMIT_MIN
PERSON_BYTES = 16


class CryptoFailure(Exception):
    """A ciphertext failed authentication, or a key or input had the wrong shape."""


def random_bytes(size: int) -> bytes:
    """Return ``size`` bytes from the operating system's CSPRNG."""
    return bytes(nacl.utils.random(size))


def random_key() -> bytes:
    """Return a fresh 256-bit symmetric key."""
    return random_bytes(KEY_BYTES)


def _person(label: bytes) -> bytes:
    if len(label) > PERSON_BYTES:
        raise ValueError("BLAKE2b personalisation is at most 16 bytes")
    return label.ljust(PERSON_BYTES, b"\0")


def derive_key(material: bytes, *, label: bytes, key: bytes = b"", size: int = KEY_BYTES) -> bytes:
    """Return ``size`` bytes of BLAKE2b(material), keyed with ``key`` and personalised with ``label``.

    Distinct labels give independent keys from the same material (domain separation).
    """
    return bytes(sodium.crypto_generichash_blake2b_salt_personal(material, size, key, b"", _person(label)))


class KdfGate:
    """At most ``limit`` Argon2id derivations at once in this process; the others wait their turn.

    A flood of receipt attempts then queues instead of taking every core and ``limit`` × the KDF's memory
    at once; nobody is refused. Waiters are served roughly in arrival order. With ``host`` slots set
    (``share_with_host``), a derivation also holds one of the machine's slots, shared by every process.
    """

    def __init__(self, limit: int = 1) -> None:
        self._condition = threading.Condition()
        self.limit = max(1, limit)
        self.active = 0
        self.peak = 0
        self.host: HostSlots | None = None

    def share_with_host(self, host: HostSlots | None) -> None:
        """Make every derivation also hold one of ``host``'s slots (None: this process's bound alone).

        The process keeps its own bound as well. Two derivations in one process slow each other down: each
        maps Argon2id's memory afresh and unmaps it, and the kernel does that one at a time per process, so a
        core waits instead of deriving (measured in docs/reliability.md, stop 21). gunicorn therefore runs
        more workers than cores, each deriving ``limit`` at a time, and the machine's slots bound them together.
        Should the kernel refuse the slots later, the process's own bound alone applies.
        """
        self.host = host

    def _host_slot(self) -> HostSlot | None:
        """Take one of the machine's slots; None when there are none, or the kernel refuses (logged once)."""
        host = self.host
        if host is None:
            return None
        try:
            return host.acquire()
        except HostSlotsUnavailable as exc:
            # A derivation is never refused for want of the shared bound: this process's own applies from now on.
            logger.warning(
                "Argon2id host slots unavailable, %d at once in this process from now on: %s", self.limit, exc
            )
            self.host = None
            return None

    def set_limit(self, limit: int) -> None:
        """Change how many derivations may run at once."""
        with self._condition:
            self.limit = max(1, limit)
            self._condition.notify_all()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for a free slot, hold it while the block runs."""
        with self._condition:
            while self.active >= self.limit:
                self._condition.wait()
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            host_slot = self._host_slot()
            try:
                yield
            finally:
                if host_slot is not None:
                    host_slot.release()
        finally:
            with self._condition:
                self.active -= 1
                self._condition.notify()


KDF_GATE = KdfGate()


def argon2id_derive(secret: bytes, *, salt: bytes, ops: int, mem: int, size: int = KEY_BYTES) -> bytes:
    """Return ``size`` bytes derived from ``secret`` with Argon2id (``ops`` passes over ``mem`` bytes).

    Derivations queue at ``KDF_GATE``. Never call this inside a database write transaction: the wait would
    hold the transaction's locks.
    """
    if len(salt) != SALT_BYTES:
        raise ValueError("Argon2id salt must be 16 bytes")
    with KDF_GATE.slot():
        return bytes(argon2id.kdf(size, secret, salt, opslimit=ops, memlimit=mem))


def aead_encrypt(key: bytes, plaintext: bytes, *, ad: bytes, nonce: bytes | None = None) -> bytes:
    """Return nonce || XChaCha20-Poly1305(key, nonce, plaintext, ad). A random nonce unless one is given."""
    nonce = random_bytes(NONCE_BYTES) if nonce is None else nonce
    if len(nonce) != NONCE_BYTES:
        raise ValueError("nonce must be 24 bytes")
    return nonce + bytes(sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, nonce, key))


def aead_decrypt(key: bytes, data: bytes, *, ad: bytes) -> bytes:
    """Open what ``aead_encrypt`` returned; raise ``CryptoFailure`` on any change or a wrong key/ad."""
    if len(data) < NONCE_BYTES + AEAD_TAG_BYTES:
        raise CryptoFailure("ciphertext too short")
    try:
        return bytes(sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(data[NONCE_BYTES:], ad, data[:NONCE_BYTES], key))
    except (nacl.exceptions.CryptoError, TypeError, ValueError) as exc:
        raise CryptoFailure("authentication failed") from exc


def box_keypair() -> tuple[bytes, bytes]:
    """Return a fresh X25519 key pair as (public key, private key)."""
    public, private = sodium.crypto_box_keypair()
    return bytes(public), bytes(private)


def box_public_key(private_key: bytes) -> bytes:
    """Return the X25519 public key of ``private_key``."""
    return bytes(sodium.crypto_scalarmult_base(private_key))


def box_seal(public_key: bytes, plaintext: bytes) -> bytes:
    """Return an anonymous sealed box of ``plaintext`` that only the holder of the private key opens."""
    return bytes(sodium.crypto_box_seal(plaintext, public_key))


def box_open(private_key: bytes, data: bytes, *, public_key: bytes | None = None) -> bytes:
    """Open a sealed box with ``private_key``; raise ``CryptoFailure`` if it was not sealed to it.

    ``public_key`` (the key pair's public half) saves recomputing it when many boxes are opened with one key.
    """
    try:
        public = box_public_key(private_key) if public_key is None else public_key
        return bytes(sodium.crypto_box_seal_open(data, public, private_key))
    except (nacl.exceptions.CryptoError, TypeError, ValueError) as exc:
        raise CryptoFailure("sealed box does not open") from exc


class StreamEncryptor:
    """libsodium secretstream (XChaCha20-Poly1305) in push mode: one message per chunk, the last one FINAL."""

    def __init__(self, key: bytes) -> None:
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        self.header = bytes(sodium.crypto_secretstream_xchacha20poly1305_init_push(self._state, key))

    def push(self, chunk: bytes, *, ad: bytes, final: bool = False) -> bytes:
        """Return the encrypted chunk (17 bytes longer); ``final`` marks the end of the stream."""
        tag = STREAM_TAG_FINAL if final else STREAM_TAG_MESSAGE
        return bytes(sodium.crypto_secretstream_xchacha20poly1305_push(self._state, chunk, ad, tag))


class StreamDecryptor:
    """secretstream in pull mode; detects changed, reordered, dropped and truncated chunks."""

    def __init__(self, key: bytes, header: bytes) -> None:
        if len(header) != STREAM_HEADER_BYTES:
            raise CryptoFailure("stream header has the wrong length")
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        try:
            sodium.crypto_secretstream_xchacha20poly1305_init_pull(self._state, header, key)
        except (nacl.exceptions.CryptoError, TypeError, ValueError) as exc:
            raise CryptoFailure("stream header rejected") from exc

    def pull(self, chunk: bytes, *, ad: bytes) -> tuple[bytes, bool]:
        """Return (plaintext, is_final) for the next encrypted chunk; raise ``CryptoFailure`` if forged."""
        try:
            plaintext, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(self._state, chunk, ad)
        except (nacl.exceptions.CryptoError, TypeError, ValueError) as exc:
            raise CryptoFailure("stream chunk rejected") from exc
        if tag not in (STREAM_TAG_MESSAGE, STREAM_TAG_FINAL):
            raise CryptoFailure("unexpected stream tag")
        return bytes(plaintext), tag == STREAM_TAG_FINAL


def rechunk(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """Yield the concatenation of ``chunks`` in pieces of exactly ``size`` bytes (the last may be shorter).

    Always yields at least one piece (possibly empty), so every stream has a final chunk.
    """
    buffer = bytearray()
    yielded = False
    for chunk in chunks:
        if not chunk:
            continue
        if not buffer and len(chunk) == size:
            yielded = True
            yield bytes(chunk)
            continue
        buffer += chunk
        while len(buffer) >= size:
            yielded = True
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer or not yielded:
        yield bytes(buffer)


def signing_public_key(seed: bytes) -> bytes:
    """Return the Ed25519 public key for a 32-byte seed."""
    return bytes(nacl.signing.SigningKey(seed).verify_key)


def sign(seed: bytes, message: bytes) -> bytes:
    """Return the 64-byte Ed25519 signature of ``message`` under the key with this seed."""
    return bytes(nacl.signing.SigningKey(seed).sign(message).signature)


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Return True when ``signature`` is a valid Ed25519 signature of ``message`` by ``public_key``."""
    try:
        nacl.signing.VerifyKey(public_key).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.CryptoError, TypeError, ValueError):
        return False
    return True
