"""The checkpoint signer strategy (named in settings, provided by vault/, signing through vault/crypto.py) and the
C2SP cosignature format, checked against independent implementations with known answers."""

from __future__ import annotations

import base64
import hashlib
import struct
from typing import Any, ClassVar

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.checks import run_checks

from audit import signing
from audit.checkpoints import create_checkpoint
from audit.note import parse_signed_note
from tests.audit.helpers import write_events
from vault import crypto
from vault.checkpoint_signer import Ed25519Signer

# RFC 8032, section 7.1, TEST 2 (one-byte message).
RFC8032_SEED = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
RFC8032_PUBLIC = bytes.fromhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
RFC8032_MESSAGE = bytes.fromhex("72")
RFC8032_SIGNATURE = bytes.fromhex(
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
)


def test_the_vault_signer_gives_the_rfc_8032_known_answer() -> None:
    signer = Ed25519Signer(RFC8032_SEED)
    assert signer.public_key() == RFC8032_PUBLIC == crypto.signing_public_key(RFC8032_SEED)
    assert signer.sign(RFC8032_MESSAGE) == RFC8032_SIGNATURE
    assert Ed25519Signer.verify(RFC8032_PUBLIC, RFC8032_MESSAGE, RFC8032_SIGNATURE)
    assert not Ed25519Signer.verify(RFC8032_PUBLIC, b"\x73", RFC8032_SIGNATURE)


def test_the_log_key_is_the_same_key_as_before_the_strategy(settings: Any) -> None:
    """Checkpoints signed before keep verifying: the seed is still SHA-256("peluit checkpoint key v1\\n" || secret)."""
    settings.PELUIT_CHECKPOINT_KEY = "a secret from the environment"
    seed = hashlib.sha256(b"peluit checkpoint key v1\n" + b"a secret from the environment").digest()
    expected = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    assert signing.verifier_key().public_key == expected
    witness = Ed25519Signer.from_secret("a secret from the environment", purpose="witness")
    assert witness.public_key() != expected  # the same secret gives unrelated keys for other purposes


class RecordingSigner(Ed25519Signer):
    """A strategy named in the test's settings: it counts what it signs."""

    signed: ClassVar[list[bytes]] = []

    @classmethod
    def from_secret(cls, secret: str, *, purpose: str) -> RecordingSigner:
        return cls(hashlib.sha256(b"recording " + purpose.encode() + secret.encode()).digest())

    def sign(self, message: bytes) -> bytes:
        self.signed.append(message)
        return super().sign(message)


@pytest.mark.django_db
def test_the_strategy_named_in_settings_signs_the_checkpoints(settings: Any) -> None:
    settings.PELUIT_CHECKPOINT_SIGNER = "tests.audit.test_signing.RecordingSigner"
    RecordingSigner.signed.clear()
    write_events(2)
    checkpoint = create_checkpoint()
    text = parse_signed_note(checkpoint.note).text
    assert RecordingSigner.signed == [text.encode()]
    assert (
        signing.verifier_key().public_key
        == RecordingSigner.from_secret(str(settings.PELUIT_CHECKPOINT_KEY), purpose="checkpoint").public_key()
    )


def test_a_strategy_that_cannot_be_imported_is_a_system_error(settings: Any) -> None:
    settings.PELUIT_CHECKPOINT_SIGNER = "vault.no_such_module.Signer"
    assert "audit.E001" in [m.id for m in run_checks()]


def test_a_malformed_witness_key_is_a_system_error(settings: Any) -> None:
    settings.PELUIT_AUDIT_WITNESSES = ["witness.example+00000000+AAAA"]
    assert "audit.E002" in [m.id for m in run_checks()]


def test_a_cosignature_is_the_c2sp_tlog_cosignature_v1_format() -> None:
    """Checked with nothing from Peluit but the text: key id, timestamp and signed message per the spec."""
    text = "example.com/log\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    signer = Ed25519Signer(bytes(range(32)))
    line = signing.cosign(text, signer=signer, name="witness.example.com/w1", timestamp=1_679_315_147)
    dash, name, blob = line.rstrip("\n").split(" ")
    raw = base64.b64decode(blob)
    public = Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key().public_bytes_raw()
    assert (dash, name) == ("\u2014", "witness.example.com/w1")
    assert raw[:4] == hashlib.sha256(b"witness.example.com/w1\n\x04" + public).digest()[:4]
    assert struct.unpack(">Q", raw[4:12])[0] == 1_679_315_147
    message = b"cosignature/v1\ntime 1679315147\n" + text.encode()
    Ed25519PublicKey.from_public_bytes(public).verify(raw[12:], message)  # raises when invalid
    witness = signing.VerifierKey(
        name="witness.example.com/w1", public_key=public, key_type=signing.COSIGNATURE_ED25519
    )
    parsed = parse_signed_note(text + "\n" + line)
    assert signing.verify_cosignature(text, parsed.signatures[0], witness) == 1_679_315_147
    assert signing.verify_cosignature(text.replace("2163", "2164"), parsed.signatures[0], witness) is None
    assert signing.parse_verifier_key(witness.encode(), key_type=signing.COSIGNATURE_ED25519) == witness
    with pytest.raises(signing.VerifierKeyError, match=r"type 0x01"):
        signing.parse_verifier_key(witness.encode())  # a cosigner key is not a log key
