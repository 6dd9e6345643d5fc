"""PAdES signing: B-B, B-T and B-LT against a local TSA; pdfsig and /verify/'s checker agree; bad keys fail clearly."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from asn1crypto import x509
from pyhanko.sign import signers

from reports.exceptions import SigningUnavailable
from reports.rendering import PdfAttachment, render_pdf
from reports.signers import LocalTestCaSigner, Pkcs12Signer, RemoteSigningAdapter
from reports.signing import sign_pdf
from reports.verification import verify_pdf
from tests.reports.conftest import LocalTsa, pdfsig
from vault import signing_keys


def _pdf() -> bytes:
    return render_pdf(
        template="reports/pdf/base.html",
        title="Uji tanda tangan",
        context={"checkpoint": {"note": "test\n1\nAAAA\n", "tree_size": 1, "cosignatures": 0}},
        attachments=[PdfAttachment("audit-checkpoint.txt", b"test\n1\nAAAA\n", "checkpoint")],
    )


@pytest.fixture(scope="module")
def unsigned_pdf(django_db_blocker: Any) -> bytes:
    with django_db_blocker.unblock():
        return _pdf()


def _write(tmp_path: Path, data: bytes, name: str = "doc.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _flip(data: bytes) -> bytes:
    """Flip one bit inside the signed bytes (in the middle of the first signed range)."""
    changed = bytearray(data)
    changed[len(data) // 4] ^= 0x01
    return bytes(changed)


@pytest.mark.django_db
def test_b_b_by_default_is_valid_for_pdfsig_and_a_flipped_byte_is_not(unsigned_pdf: bytes, tmp_path: Path) -> None:
    signed = sign_pdf(unsigned_pdf, reason="test")
    assert signed.level == "B-B"
    report = pdfsig(_write(tmp_path, signed.data))
    assert "Signature is Valid" in report
    assert "ETSI.CAdES.detached" in report
    assert "Total document signed" in report
    flipped = pdfsig(_write(tmp_path, _flip(signed.data), "flipped.pdf"))
    assert "Signature is Valid" not in flipped
    result = verify_pdf(_flip(signed.data))
    assert result.signed and not result.valid
    assert verify_pdf(signed.data).valid


@pytest.mark.django_db
def test_the_signature_is_ecdsa_p256_with_sha256(unsigned_pdf: bytes) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader

    signed = sign_pdf(unsigned_pdf, reason="test")
    embedded = PdfFileReader(io.BytesIO(signed.data)).embedded_signatures[0]
    assert embedded.signer_info["signature_algorithm"]["algorithm"].native in ("sha256_ecdsa", "ecdsa")
    assert embedded.signer_cert.public_key.curve[1] == "secp256r1"
    assert embedded.md_algorithm == "sha256"


@pytest.mark.django_db
def test_b_t_with_a_local_tsa(unsigned_pdf: bytes, tmp_path: Path, settings: Any, local_tsa: LocalTsa) -> None:
    settings.PELUIT_TSA_URL = local_tsa.url
    settings.PELUIT_PADES_LEVEL = "B-T"
    signed = sign_pdf(unsigned_pdf, reason="test")
    assert signed.level == "B-T" and local_tsa.requests >= 1
    assert "Signature is Valid" in pdfsig(_write(tmp_path, signed.data))
    check = verify_pdf(signed.data)
    assert check.valid
    assert check.signatures[0].timestamped_at is not None
    assert check.signatures[0].level == "B-T"


@pytest.mark.django_db
def test_b_lt_is_the_default_with_a_tsa_and_embeds_validation_data(
    unsigned_pdf: bytes, tmp_path: Path, settings: Any, local_tsa: LocalTsa
) -> None:
    settings.PELUIT_TSA_URL = local_tsa.url
    signed = sign_pdf(unsigned_pdf, reason="test")
    assert signed.level == "B-LT"
    with pikepdf.open(io.BytesIO(signed.data)) as pdf:
        dss = pdf.Root.DSS
        assert len(dss.Certs) >= 2  # signer, CA (and the TSA's)
        assert len(dss.CRLs) >= 1
    assert "Signature is Valid" in pdfsig(_write(tmp_path, signed.data))
    check = verify_pdf(signed.data)
    assert check.valid
    assert check.signatures[0].only_validation_data_added and not check.signatures[0].changed_after_signing
    assert check.signatures[0].level == "B-LT"
    assert not verify_pdf(_flip(signed.data)).valid


@pytest.mark.django_db
def test_a_level_that_needs_a_tsa_without_one_is_refused_clearly(unsigned_pdf: bytes, settings: Any) -> None:
    settings.PELUIT_PADES_LEVEL = "B-LT"
    with pytest.raises(SigningUnavailable, match="PELUIT_TSA_URL"):
        sign_pdf(unsigned_pdf, reason="test")
    settings.PELUIT_PADES_LEVEL = "B-LTA"
    with pytest.raises(SigningUnavailable, match="PELUIT_PADES_LEVEL"):
        sign_pdf(unsigned_pdf, reason="test")


@pytest.mark.django_db
def test_a_tsa_that_does_not_answer_is_a_clear_error(unsigned_pdf: bytes, settings: Any) -> None:
    settings.PELUIT_TSA_URL = "http://127.0.0.1:9/tsa"  # discard port: nothing listens
    with pytest.raises(SigningUnavailable):
        sign_pdf(unsigned_pdf, reason="test")


@pytest.mark.django_db
def test_a_missing_signing_key_is_a_clear_error(unsigned_pdf: bytes, settings: Any, tmp_path: Path) -> None:
    settings.PELUIT_SIGNING_DIR = tmp_path / "nothing-here"
    with pytest.raises(SigningUnavailable, match="signing_test_ca"):
        sign_pdf(unsigned_pdf, reason="test")


@pytest.mark.django_db
def test_the_institution_pkcs12_signs_and_a_wrong_password_is_a_clear_error(
    unsigned_pdf: bytes, tmp_path: Path, test_ca_dir: Path
) -> None:
    p12 = signing_keys.export_pkcs12(test_ca_dir, tmp_path / "institution.p12", password=b"rahasia-123")
    signed = sign_pdf(unsigned_pdf, reason="test", strategy=Pkcs12Signer(str(p12), "rahasia-123"))
    assert "Signature is Valid" in pdfsig(_write(tmp_path, signed.data))
    with pytest.raises(SigningUnavailable, match="PELUIT_SIGNING_P12_PASSWORD"):
        sign_pdf(unsigned_pdf, reason="test", strategy=Pkcs12Signer(str(p12), "wrong"))
    with pytest.raises(SigningUnavailable, match=r"missing\.p12"):
        sign_pdf(unsigned_pdf, reason="test", strategy=Pkcs12Signer(str(tmp_path / "missing.p12"), "x"))


@pytest.mark.django_db
def test_the_settings_pick_the_pkcs12_signer_by_dotted_path(
    unsigned_pdf: bytes, tmp_path: Path, test_ca_dir: Path, settings: Any
) -> None:
    p12 = signing_keys.export_pkcs12(test_ca_dir, tmp_path / "institution.p12", password=b"rahasia-123")
    settings.PELUIT_PDF_SIGNER = "reports.signers.Pkcs12Signer"
    settings.PELUIT_SIGNING_P12 = str(p12)
    settings.PELUIT_SIGNING_P12_PASSWORD = "wrong"
    with pytest.raises(SigningUnavailable, match="PELUIT_SIGNING_P12_PASSWORD"):
        sign_pdf(unsigned_pdf, reason="test")
    settings.PELUIT_SIGNING_P12_PASSWORD = "rahasia-123"
    assert verify_pdf(sign_pdf(unsigned_pdf, reason="test").data).valid


class _ServiceStandIn(RemoteSigningAdapter):
    """A remote signing service played by the local test CA's key: the adapter only sees digests to sign."""

    def __init__(self, directory: Path) -> None:
        files = signing_keys.TestCaFiles(directory)
        self._key_holder = signers.SimpleSigner.load(str(files.signer_key), str(files.signer_cert))
        self._chain = [LocalTestCaSigner(directory).trust_roots()[0]]
        self.calls = 0

    def remote_certificate(self) -> x509.Certificate:
        return self._key_holder.signing_cert

    def remote_chain(self) -> list[x509.Certificate]:
        return self._chain

    def remote_sign(self, data: bytes, digest_algorithm: str) -> bytes:
        self.calls += 1
        import asyncio

        return asyncio.run(self._key_holder.async_sign_raw(data, digest_algorithm))


@pytest.mark.django_db
def test_a_remote_signing_adapter_plugs_in(unsigned_pdf: bytes, tmp_path: Path, test_ca_dir: Path) -> None:
    adapter = _ServiceStandIn(test_ca_dir)
    signed = sign_pdf(unsigned_pdf, reason="test", strategy=adapter)
    assert adapter.calls == 1
    assert "Signature is Valid" in pdfsig(_write(tmp_path, signed.data))
