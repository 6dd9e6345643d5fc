"""The vault's stored byte formats, each starting with a one-byte format id (= its version). No Django.

See docs/vault.md for the layouts. A reader dispatches on the first byte, so a later version can be added
next to an old one and old data stays readable; a changed layout gets a new id, never a reuse.
Associated data always includes the format id and the binding context (report id, purpose, owner), so a
ciphertext copied to another report, purpose or owner fails to open.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from vault import crypto

CONTENT_V1 = 0x01  # report content, messages, file names: AEAD under the report's data key (read only now)
PASSWORD_WRAP_V1 = 0x02  # a secret wrapped under Argon2id(password) [+ pepper]; records the KDF parameters
SEALED_KEY_V1 = 0x03  # a symmetric key sealed (X25519 sealed box) to a public key, with its binding context
KEY_WRAP_V1 = 0x04  # a secret wrapped under another symmetric key (receipt, console cookie, follow-up cookie)
STREAM_V1 = 0x05  # an attachment: secretstream in fixed-size chunks (read only now)
CONTENT_V2 = 0x06  # as 0x01, the plaintext padded first, so the ciphertext's length hides the text's
STREAM_V2 = 0x07  # as 0x05, the plaintext padded first, so the file's length hides the attachment's

CHUNK_BYTES = 64 * 1024
_PASSWORD_HEADER = struct.Struct(">BII")  # format id, Argon2id ops, Argon2id memory in KiB
_STREAM_HEADER = struct.Struct(">BI")  # format id, plaintext chunk size
STREAM_PREAMBLE_BYTES = _STREAM_HEADER.size + crypto.STREAM_HEADER_BYTES


class FormatError(crypto.CryptoFailure):
    """The bytes are not in a format (or version) this code reads, or fail to authenticate."""


def _expect(data: bytes, format_id: int) -> None:
    if not data or data[0] != format_id:
        raise FormatError(f"expected format 0x{format_id:02x}")


def _purpose_bytes(purpose: str) -> bytes:
    encoded = purpose.encode("utf-8")
    if not encoded or len(encoded) > 128:
        raise ValueError("purpose must be 1 to 128 bytes")
    return encoded


# --- Padding -------------------------------------------------------------------------------------------
SMALLEST_PADDED = 4096  # every text pads to at least 4 KiB: short texts all look alike
POWER_OF_TWO_UP_TO = 64 * 1024  # up to 64 KiB, the next power of two; above, Padmé (at most 12 % more)
PAD_MARKER = 0x80  # ISO/IEC 7816-4: the data, one 0x80 byte, then zeros


def padme(length: int) -> int:
    """Return Padmé's padded length (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
    Communication with PURBs", PETS 2019): keep the top ``floor(log2(E)) + 1`` bits of the length, E being its
    ``floor(log2)``, and round the rest up. The overhead is at most 12 % and leaks O(log log n) bits."""
    if length < 2:
        return length
    exponent = length.bit_length() - 1
    size_bits = exponent.bit_length()
    mask = (1 << (exponent - size_bits)) - 1
    return (length + mask) & ~mask


def padded_length(length: int) -> int:
    """Return the length ``length`` bytes (marker included) are padded to: a bucket for texts and small files
    (4 KiB, then powers of two up to 64 KiB), Padmé above."""
    if length <= SMALLEST_PADDED:
        return SMALLEST_PADDED
    if length <= POWER_OF_TWO_UP_TO:
        return 1 << (length - 1).bit_length()
    return padme(length)


def pad(plaintext: bytes) -> bytes:
    """Return ``plaintext || 0x80 || zeros`` of ``padded_length(len(plaintext) + 1)`` bytes."""
    target = padded_length(len(plaintext) + 1)
    return plaintext + bytes([PAD_MARKER]) + bytes(target - len(plaintext) - 1)


def unpad(padded: bytes) -> bytes:
    """Return the plaintext of ``pad``; raise ``FormatError`` unless the padding is exactly what ``pad`` writes."""
    data = padded.rstrip(b"\0")
    if not data or data[-1] != PAD_MARKER or padded_length(len(data)) != len(padded):
        raise FormatError("the padding is not canonical")
    return data[:-1]


# --- Report content ------------------------------------------------------------------------------------
def content_ad(report_id: uuid.UUID, purpose: str, *, version: int = CONTENT_V2) -> bytes:
    """Return the associated data binding content to its format, report and purpose."""
    return bytes([version]) + b"peluit-content" + report_id.bytes + _purpose_bytes(purpose)


def content_seal(
    data_key: bytes,
    report_id: uuid.UUID,
    purpose: str,
    plaintext: bytes,
    *,
    nonce: bytes | None = None,
    version: int = CONTENT_V2,
) -> bytes:
    """Return ``0x06 || nonce || XChaCha20-Poly1305(data_key, pad(plaintext), ad=0x06 + report id + purpose)``.

    ``version=CONTENT_V1`` writes the unpadded format 0x01 (only to make old data in tests).
    """
    if version == CONTENT_V2:
        plaintext = pad(plaintext)
    elif version != CONTENT_V1:
        raise ValueError(f"unknown content format 0x{version:02x}")
    ad = content_ad(report_id, purpose, version=version)
    return bytes([version]) + crypto.aead_encrypt(data_key, plaintext, ad=ad, nonce=nonce)


def content_open(data_key: bytes, report_id: uuid.UUID, purpose: str, blob: bytes) -> bytes:
    """Open a ``content_seal`` blob of either version; raise ``FormatError`` if changed or belonging elsewhere."""
    if not blob or blob[0] not in (CONTENT_V1, CONTENT_V2):
        raise FormatError("expected content format 0x01 or 0x06")
    try:
        plaintext = crypto.aead_decrypt(data_key, blob[1:], ad=content_ad(report_id, purpose, version=blob[0]))
    except crypto.CryptoFailure as exc:
        raise FormatError(str(exc)) from exc
    return unpad(plaintext) if blob[0] == CONTENT_V2 else plaintext


# --- Secrets wrapped under a password ----------------------------------------------------------------
@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: ``ops`` passes over ``mem`` bytes (a multiple of 1 KiB)."""

    ops: int
    mem: int


def pepper_key(pepper: str) -> bytes:
    """Return the 32-byte key derived from the server pepper (kept outside the database)."""
    return crypto.derive_key(pepper.encode("utf-8"), label=b"peluit-pepper1")


def password_key(password: str, *, salt: bytes, params: KdfParams, pepper: bytes) -> bytes:
    """Return the wrapping key: BLAKE2b keyed by the pepper (if any) over Argon2id(password, salt)."""
    stretched = crypto.argon2id_derive(password.encode("utf-8"), salt=salt, ops=params.ops, mem=params.mem)
    return crypto.derive_key(stretched, label=b"peluit-pwwrap1", key=pepper)


def password_wrap(
    password: str,
    secret: bytes,
    *,
    params: KdfParams,
    pepper: bytes,
    context: bytes,
    salt: bytes | None = None,
    nonce: bytes | None = None,
) -> bytes:
    """Return ``0x02 || ops || mem_kib || salt || nonce || AEAD(secret)``; the header is authenticated."""
    if params.mem % 1024 or params.mem < crypto.ARGON2ID_MEM_MIN or params.ops < crypto.ARGON2ID_OPS_MIN:
        raise ValueError("Argon2id memory must be a multiple of 1 KiB, and both costs at least libsodium's minimum")
    salt = crypto.random_bytes(crypto.SALT_BYTES) if salt is None else salt
    header = _PASSWORD_HEADER.pack(PASSWORD_WRAP_V1, params.ops, params.mem // 1024) + salt
    key = password_key(password, salt=salt, params=params, pepper=pepper)
    return header + crypto.aead_encrypt(key, secret, ad=header + context, nonce=nonce)


def password_wrap_params(blob: bytes) -> KdfParams:
    """Return the Argon2id parameters recorded in a ``password_wrap`` blob."""
    _expect(blob, PASSWORD_WRAP_V1)
    if len(blob) < _PASSWORD_HEADER.size + crypto.SALT_BYTES:
        raise FormatError("password-wrapped blob too short")
    _fmt, ops, mem_kib = _PASSWORD_HEADER.unpack_from(blob)
    return KdfParams(ops=ops, mem=mem_kib * 1024)


def password_unwrap(password: str, blob: bytes, *, pepper: bytes, context: bytes) -> bytes:
    """Open a ``password_wrap`` blob; raise ``FormatError`` for a wrong password, pepper or context."""
    params = password_wrap_params(blob)
    split = _PASSWORD_HEADER.size + crypto.SALT_BYTES
    header, salt = blob[:split], blob[_PASSWORD_HEADER.size : split]
    key = password_key(password, salt=salt, params=params, pepper=pepper)
    try:
        return crypto.aead_decrypt(key, blob[split:], ad=header + context)
    except crypto.CryptoFailure as exc:
        raise FormatError("wrong password or changed blob") from exc


# --- Keys sealed to a public key ---------------------------------------------------------------------
def sealed_key(public_key: bytes, key: bytes, *, context: bytes) -> bytes:
    """Return ``0x03 || sealed_box(len(context) || context || key)`` for the holder of ``public_key``."""
    if len(context) > 255:
        raise ValueError("context too long")
    return bytes([SEALED_KEY_V1]) + crypto.box_seal(public_key, bytes([len(context)]) + context + key)


def sealed_key_open(private_key: bytes, blob: bytes, *, context: bytes, public_key: bytes | None = None) -> bytes:
    """Open a ``sealed_key`` blob; raise ``FormatError`` if not ours or sealed for another context.

    ``public_key`` (the private key's public half) may be given to save recomputing it for each blob.
    """
    _expect(blob, SEALED_KEY_V1)
    try:
        inner = crypto.box_open(private_key, blob[1:], public_key=public_key)
    except crypto.CryptoFailure as exc:
        raise FormatError(str(exc)) from exc
    if not inner or inner[0] != len(context) or inner[1 : 1 + len(context)] != context:
        raise FormatError("sealed key belongs to another context")
    return inner[1 + len(context) :]


# --- Secrets wrapped under a symmetric key -----------------------------------------------------------
def key_wrap(key: bytes, secret: bytes, *, context: bytes, nonce: bytes | None = None) -> bytes:
    """Return ``0x04 || nonce || AEAD(key, secret, ad=0x04 || context)``."""
    return bytes([KEY_WRAP_V1]) + crypto.aead_encrypt(key, secret, ad=bytes([KEY_WRAP_V1]) + context, nonce=nonce)


def key_unwrap(key: bytes, blob: bytes, *, context: bytes) -> bytes:
    """Open a ``key_wrap`` blob; raise ``FormatError`` for a wrong key, context or a changed blob."""
    _expect(blob, KEY_WRAP_V1)
    try:
        return crypto.aead_decrypt(key, blob[1:], ad=bytes([KEY_WRAP_V1]) + context)
    except crypto.CryptoFailure as exc:
        raise FormatError(str(exc)) from exc


# --- Receipts ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReceiptKeys:
    """What one Argon2id derivation of a receipt yields: a lookup id (stored) and the reporter key (never)."""

    lookup_id: bytes
    reporter_key: bytes


def receipt_keys(receipt: str, *, params: KdfParams, pepper: bytes) -> ReceiptKeys:
    """Derive the lookup id and reporter key from the 16 receipt digits.

    The Argon2id salt comes from the pepper, so a database dump alone does not allow guessing receipts.
    """
    salt = crypto.derive_key(pepper, label=b"peluit-rcpt-salt", size=crypto.SALT_BYTES)
    stretched = crypto.argon2id_derive(receipt.encode("ascii"), salt=salt, ops=params.ops, mem=params.mem, size=64)
    return ReceiptKeys(
        lookup_id=crypto.derive_key(stretched, label=b"peluit-rcpt-look"),
        reporter_key=crypto.derive_key(stretched, label=b"peluit-rcpt-key"),
    )


# --- Attachments (streams) ---------------------------------------------------------------------------
def stream_key(data_key: bytes, report_id: uuid.UUID) -> bytes:
    """Return the report's attachment key, derived from its data key."""
    return crypto.derive_key(report_id.bytes, label=b"peluit-attach1", key=data_key)


def _stream_ad(preamble: bytes, report_id: uuid.UUID, name: str) -> bytes:
    return preamble + report_id.bytes + name.encode("utf-8")


def _padded(chunks: Iterable[bytes], piece: int) -> Iterator[bytes]:
    """Yield ``chunks``, then 0x80 and zeros up to ``padded_length(n + 1)`` bytes in all, in pieces of ``piece``."""
    length = 0
    for chunk in chunks:
        length += len(chunk)
        yield chunk
    yield bytes([PAD_MARKER])
    yield from _zeros(padded_length(length + 1) - length - 1, piece)


def _zeros(count: int, piece: int = CHUNK_BYTES) -> Iterator[bytes]:
    while count > 0:
        size = min(count, piece)
        yield bytes(size)
        count -= size


def stream_encrypt(
    data_key: bytes,
    report_id: uuid.UUID,
    name: str,
    chunks: Iterable[bytes],
    *,
    chunk_bytes: int = CHUNK_BYTES,
    version: int = STREAM_V2,
) -> Iterator[bytes]:
    """Yield the preamble, then each encrypted chunk of the stream; the last chunk is tagged FINAL.

    Layout: ``0x07 || chunk_size (u32) || secretstream header (24)``, then chunks of ``chunk_size + 17``
    bytes (the last one shorter). The plaintext is padded (``0x80`` then zeros, to ``padded_length``) as it
    streams, so the file's length says only which size bucket the attachment falls in. Every chunk
    authenticates the preamble, report id and storage name. ``version=STREAM_V1`` writes the unpadded format
    0x05 (only to make old data in tests).
    """
    if version == STREAM_V2:
        chunks = _padded(chunks, chunk_bytes)
    elif version != STREAM_V1:
        raise ValueError(f"unknown stream format 0x{version:02x}")
    encryptor = crypto.StreamEncryptor(stream_key(data_key, report_id))
    preamble = _STREAM_HEADER.pack(version, chunk_bytes) + encryptor.header
    ad = _stream_ad(preamble, report_id, name)
    yield preamble
    pending: bytes | None = None
    for piece in crypto.rechunk(chunks, chunk_bytes):
        if pending is not None:
            yield encryptor.push(pending, ad=ad)
        pending = piece
    assert pending is not None  # rechunk always yields at least one piece
    yield encryptor.push(pending, ad=ad, final=True)


class _Unpadder:
    """Strip the padding of a stream as it is read, one chunk behind and without holding the padding.

    The last chunk holding a non-zero byte is kept back (it may end with the 0x80 marker); chunks of zeros after
    it are counted, not kept, since they are data only if another non-zero chunk follows. So memory stays one
    chunk however long the padding, and the chunks come out as they were stored.
    """

    def __init__(self) -> None:
        self.pending = b""
        self.zeros = 0
        self.total = 0

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        """Yield the data that ``chunk`` proves is not padding."""
        self.total += len(chunk)
        if not chunk or (chunk[-1] == 0 and chunk.count(0) == len(chunk)):  # all zeros (found without a copy)
            self.zeros += len(chunk)
            return
        yield self.pending
        yield from _zeros(self.zeros, max(len(chunk), 1))
        self.pending, self.zeros = chunk, 0

    def finish(self) -> bytes:
        """Return the data before the marker in the last non-zero chunk, after checking the padding is canonical."""
        data = self.pending.rstrip(b"\0")
        length = self.total - (len(self.pending) - len(data)) - self.zeros - 1
        if not data or data[-1] != PAD_MARKER or padded_length(length + 1) != self.total:
            raise FormatError("the attachment's padding is not canonical")
        return data[:-1]


class StreamReader:
    """Decrypt a stream read from a binary file object, chunk by chunk (format 0x05 or 0x07)."""

    def __init__(self, data_key: bytes, report_id: uuid.UUID, name: str, preamble: bytes) -> None:
        if len(preamble) != STREAM_PREAMBLE_BYTES or preamble[0] not in (STREAM_V1, STREAM_V2):
            raise FormatError("not an attachment stream of a known version")
        _fmt, chunk_bytes = _STREAM_HEADER.unpack_from(preamble)
        if not 0 < chunk_bytes <= 16 * 1024 * 1024:
            raise FormatError("implausible chunk size")
        self.version = preamble[0]
        self.encrypted_chunk_bytes = chunk_bytes + crypto.STREAM_TAG_BYTES
        self._decryptor = crypto.StreamDecryptor(stream_key(data_key, report_id), preamble[_STREAM_HEADER.size :])
        self._ad = _stream_ad(preamble, report_id, name)
        self.finished = False

    def pull(self, chunk: bytes) -> bytes:
        """Return the plaintext of the next encrypted chunk (padding included); nothing may follow the FINAL one."""
        if self.finished:
            raise FormatError("data after the end of the stream")
        try:
            plaintext, self.finished = self._decryptor.pull(chunk, ad=self._ad)
        except crypto.CryptoFailure as exc:
            raise FormatError(str(exc)) from exc
        return plaintext

    def plaintext_chunks(self, read: Callable[[int], bytes]) -> Iterator[bytes]:
        """Yield the attachment's bytes from the chunks that follow the preamble, read with ``read(n)``."""
        unpadder = _Unpadder() if self.version == STREAM_V2 else None
        while True:
            chunk = read(self.encrypted_chunk_bytes)
            if not chunk:
                if not self.finished:
                    raise FormatError("stream truncated")
                if unpadder is not None:
                    tail = unpadder.finish()
                    if tail:
                        yield tail
                return
            plaintext = self.pull(chunk)
            pieces = unpadder.feed(plaintext) if unpadder is not None else (plaintext,)
            for piece in pieces:
                if piece:
                    yield piece


def stream_decrypt(data_key: bytes, report_id: uuid.UUID, name: str, read: Callable[[int], bytes]) -> Iterator[bytes]:
    """Yield the plaintext chunks of a stream, reading from ``read(n)``; raise ``FormatError`` on tampering.

    Truncation (no FINAL chunk), reordering, bit flips and trailing data are all detected.
    """
    reader = StreamReader(data_key, report_id, name, read(STREAM_PREAMBLE_BYTES))
    yield from reader.plaintext_chunks(read)
