"""Known-answer tests: the primitives against independent references, each stored format against fixed bytes.

``vectors.json`` was produced once by the format-1 code with fixed keys, nonces and salts. If one of these
tests fails, a stored format changed: old data would no longer open. Add a new format id instead.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from pathlib import Path
from typing import Any

import argon2.low_level
import pytest

from vault import crypto, formats
from vault.formats import KdfParams

VECTORS: dict[str, Any] = json.loads((Path(__file__).parent / "vectors.json").read_text())
REPORT_ID = uuid.UUID(VECTORS["report_id"])
DATA_KEY = bytes.fromhex(VECTORS["data_key"])
NONCE = bytes.fromhex(VECTORS["nonce"])
SALT = bytes.fromhex(VECTORS["salt"])
CHEAP = KdfParams(ops=1, mem=8192)


def h(value: str) -> bytes:
    return bytes.fromhex(value)


# --- Primitives against independent references ---------------------------------------------------------
def test_xchacha20poly1305_matches_the_cfrg_draft_vector() -> None:
    """draft-irtf-cfrg-xchacha-03, appendix A.3.1."""
    key = bytes(range(0x80, 0xA0))
    nonce = bytes(range(0x40, 0x58))
    ad = h("50515253c0c1c2c3c4c5c6c7")
    plaintext = (
        b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
        b"sunscreen would be it."
    )
    expected = h(
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39"
        "ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
        "21f9664c97637da9768812f615c68b13b52e"
        "c0875924c1c7987947deafd8780acf49"
    )
    assert crypto.aead_encrypt(key, plaintext, ad=ad, nonce=nonce) == nonce + expected
    assert crypto.aead_decrypt(key, nonce + expected, ad=ad) == plaintext


def test_x25519_public_key_matches_rfc7748() -> None:
    """RFC 7748 section 6.1, Alice's key pair."""
    private = h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    assert crypto.box_public_key(private) == h("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")


def test_argon2id_matches_argon2_cffi() -> None:
    """libsodium's Argon2id (parallelism 1) equals the reference implementation behind argon2-cffi."""
    ours = crypto.argon2id_derive(b"password", salt=SALT, ops=2, mem=64 * 1024, size=32)
    reference = argon2.low_level.hash_secret_raw(
        b"password", SALT, time_cost=2, memory_cost=64, parallelism=1, hash_len=32, type=argon2.low_level.Type.ID
    )
    assert ours == reference


def test_blake2b_derivation_matches_hashlib() -> None:
    ours = crypto.derive_key(b"material", label=b"peluit-test", key=DATA_KEY)
    reference = hashlib.blake2b(b"material", digest_size=32, key=DATA_KEY, person=b"peluit-test").digest()
    assert ours == reference


def test_ed25519_matches_rfc8032_test_1() -> None:
    """RFC 8032 section 7.1, TEST 1 (empty message)."""
    seed = h("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    public = h("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    signature = h(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )
    assert crypto.signing_public_key(seed) == public
    assert crypto.sign(seed, b"") == signature
    assert crypto.verify_signature(public, b"", signature)
    assert not crypto.verify_signature(public, b"x", signature)


# --- Stored formats against fixed bytes ----------------------------------------------------------------
def test_content_v1_known_answer() -> None:
    vector = VECTORS["content_v1"]
    blob = formats.content_seal(
        DATA_KEY, REPORT_ID, vector["purpose"], h(vector["plaintext"]), nonce=NONCE, version=formats.CONTENT_V1
    )
    assert blob.hex() == vector["blob"]
    assert blob[0] == formats.CONTENT_V1 and blob[1:25] == NONCE
    assert formats.content_open(DATA_KEY, REPORT_ID, vector["purpose"], h(vector["blob"])) == h(vector["plaintext"])


def test_pepper_key_known_answer() -> None:
    assert formats.pepper_key(VECTORS["pepper"]["pepper"]).hex() == VECTORS["pepper"]["key"]


def test_password_wrap_v1_known_answer() -> None:
    vector = VECTORS["password_wrap_v1"]
    pepper = h(VECTORS["pepper"]["key"])
    params = KdfParams(ops=vector["ops"], mem=vector["mem"])
    blob = formats.password_wrap(
        vector["password"], h(vector["secret"]), params=params, pepper=pepper, context=h(vector["context"]),
        salt=SALT, nonce=NONCE,
    )  # fmt: skip
    assert blob.hex() == vector["blob"]
    assert formats.password_wrap_params(blob) == params  # the KDF cost travels with the blob
    assert blob[9:25] == SALT
    assert formats.password_unwrap(vector["password"], blob, pepper=pepper, context=h(vector["context"])) == h(
        vector["secret"]
    )


def test_sealed_key_v1_opens_the_stored_vector() -> None:
    vector = VECTORS["sealed_key_v1"]
    assert crypto.box_public_key(h(vector["private_key"])) == h(vector["public_key"])
    opened = formats.sealed_key_open(h(vector["private_key"]), h(vector["blob"]), context=h(vector["context"]))
    assert opened == h(vector["key"])


def test_key_wrap_v1_known_answer() -> None:
    vector = VECTORS["key_wrap_v1"]
    blob = formats.key_wrap(h(vector["key"]), h(vector["secret"]), context=h(vector["context"]), nonce=NONCE)
    assert blob.hex() == vector["blob"]
    assert formats.key_unwrap(h(vector["key"]), blob, context=h(vector["context"])) == h(vector["secret"])


def test_stream_v1_opens_the_stored_vector() -> None:
    vector = VECTORS["stream_v1"]
    blob = h(vector["blob"])
    assert blob[0] == formats.STREAM_V1 and int.from_bytes(blob[1:5], "big") == vector["chunk_bytes"]
    offset = 0

    def read(size: int) -> bytes:
        nonlocal offset
        piece = blob[offset : offset + size]
        offset += len(piece)
        return piece

    assert b"".join(formats.stream_decrypt(DATA_KEY, REPORT_ID, vector["name"], read)) == h(vector["plaintext"])


def test_receipt_derivation_known_answer() -> None:
    vector = VECTORS["receipt"]
    keys = formats.receipt_keys(
        vector["receipt"], params=KdfParams(ops=vector["ops"], mem=vector["mem"]), pepper=h(VECTORS["pepper"]["key"])
    )
    assert keys.lookup_id.hex() == vector["lookup_id"]
    assert keys.reporter_key.hex() == vector["reporter_key"]
    assert keys.lookup_id != keys.reporter_key


@pytest.mark.parametrize(
    "blob_name",
    ["content_v1", "password_wrap_v1", "sealed_key_v1", "key_wrap_v1", "stream_v1", "content_v2", "stream_v2"],
)
def test_every_format_starts_with_its_own_id(blob_name: str) -> None:
    ids = {
        "content_v1": formats.CONTENT_V1,
        "password_wrap_v1": formats.PASSWORD_WRAP_V1,
        "sealed_key_v1": formats.SEALED_KEY_V1,
        "key_wrap_v1": formats.KEY_WRAP_V1,
        "stream_v1": formats.STREAM_V1,
        "content_v2": formats.CONTENT_V2,
        "stream_v2": formats.STREAM_V2,
    }
    assert h(VECTORS[blob_name]["blob"])[0] == ids[blob_name]
    assert len(set(ids.values())) == len(ids)


def test_content_v2_known_answer() -> None:
    """Format 0x06: the plaintext padded (0x80, zeros) to its bucket before the AEAD; pinned bytes."""
    vector = VECTORS["content_v2"]
    blob = formats.content_seal(DATA_KEY, REPORT_ID, vector["purpose"], h(vector["plaintext"]), nonce=NONCE)
    assert blob.hex() == vector["blob"]
    assert blob[0] == formats.CONTENT_V2 and len(blob) == 1 + 24 + 4096 + 16
    assert formats.content_open(DATA_KEY, REPORT_ID, vector["purpose"], h(vector["blob"])) == h(vector["plaintext"])


def test_stream_v2_opens_the_stored_vector() -> None:
    """Format 0x07 (padded stream) written once; data ending in zeros and 0x80 comes back exactly."""
    vector = VECTORS["stream_v2"]
    blob = h(vector["blob"])
    assert blob[0] == formats.STREAM_V2 and int.from_bytes(blob[1:5], "big") == vector["chunk_bytes"]
    assert len(blob) == formats.STREAM_PREAMBLE_BYTES + 4 * (1024 + 17)  # 4096 padded bytes in 1 KiB chunks
    read = io.BytesIO(blob).read
    assert b"".join(formats.stream_decrypt(DATA_KEY, REPORT_ID, vector["name"], read)) == h(vector["plaintext"])
