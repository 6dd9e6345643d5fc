"""The local test CA for signed PDF exports: ECDSA P-256 keys and X.509 certificates made on this machine.

Development and CI sign exports with certificates of a CA created here (``manage.py signing_test_ca``, run by
``bin/run`` and ``bin/test``); production uses the institution's PKCS#12 instead (``reports/signers.py``). The
files live in one directory (``PELUIT_SIGNING_DIR``, default ``var/signing/``, git-ignored):

| file | what |
|---|---|
| ``ca.pem`` / ``ca-key.pem`` | the test root CA (self-signed) and its key |
| ``signer.pem`` / ``signer-key.pem`` | the document signing certificate (digital signature, non-repudiation) |
| ``tsa.pem`` / ``tsa-key.pem`` | a time-stamping certificate (critical EKU timeStamping) for a local TSA |
| ``ca.crl`` | the CA's certificate revocation list (DER), re-issued when it is older than a day |

The time-stamping key is RSA 2048 because pyHanko's test time-stamper (used by the local TSA of the tests)
signs with RSA only; the CA and the document signing key are ECDSA P-256.

Only ``vault/`` imports ``cryptography`` (DESIGN.md); pyHanko in ``reports/`` reads these files. Keys are
written with mode 0600 and never leave the directory.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_VALIDITY = dt.timedelta(days=3650)
LEAF_VALIDITY = dt.timedelta(days=825)
CRL_VALIDITY = dt.timedelta(days=7)
CRL_REFRESH = dt.timedelta(days=1)
# The CA's name says what it is: nobody should mistake a PDF signed with it for an official document.
TEST_CA_NAME = "Peluit local test CA (not for production)"


@dataclass(frozen=True)
class TestCaFiles:
    """Paths of the local test CA's files in ``directory``."""

    directory: Path

    @property
    def ca_cert(self) -> Path:
        """The self-signed root certificate (PEM)."""
        return self.directory / "ca.pem"

    @property
    def ca_key(self) -> Path:
        """The root's private key (PEM, mode 0600)."""
        return self.directory / "ca-key.pem"

    @property
    def signer_cert(self) -> Path:
        """The document signing certificate (PEM)."""
        return self.directory / "signer.pem"

    @property
    def signer_key(self) -> Path:
        """The document signing key (PEM, mode 0600)."""
        return self.directory / "signer-key.pem"

    @property
    def tsa_cert(self) -> Path:
        """The time-stamping certificate (PEM)."""
        return self.directory / "tsa.pem"

    @property
    def tsa_key(self) -> Path:
        """The time-stamping key (PEM, mode 0600)."""
        return self.directory / "tsa-key.pem"

    @property
    def crl(self) -> Path:
        """The CA's current revocation list (DER)."""
        return self.directory / "ca.crl"

    def complete(self) -> bool:
        """Return True when every file of the CA exists."""
        return all(
            path.is_file()
            for path in (self.ca_cert, self.ca_key, self.signer_cert, self.signer_key, self.tsa_cert, self.tsa_key)
        )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write(path: Path, data: bytes, *, secret: bool) -> None:
    """Write ``data`` to ``path`` through a temporary name, mode 0600 for keys (0644 otherwise)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if secret else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _leaf(
    *,
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    issuer: x509.Certificate,
    issuer_key: ec.EllipticCurvePrivateKey,
    eku: x509.ObjectIdentifier | None,
    signing: bool,
) -> x509.Certificate:
    now = _now()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + LEAF_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=signing,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([eku]), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def create_test_ca(directory: Path, *, organisation: str, signer_name: str) -> TestCaFiles:
    """Create a fresh local test CA with a document signing and a time-stamping certificate in ``directory``.

    The CA and document signing keys are ECDSA P-256 (the time-stamping key is RSA, see above). Existing
    files are replaced. ``organisation`` and ``signer_name`` go into the
    certificates' subject names (the institution's name, and e.g. "Peluit PDF exports").
    """
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    files = TestCaFiles(directory)
    now = _now()
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(TEST_CA_NAME, organisation)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer_cert = _leaf(
        subject=_name(signer_name, organisation),
        key=signer_key,
        issuer=ca_cert,
        issuer_key=ca_key,
        eku=None,
        signing=True,
    )
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa_cert = _leaf(
        subject=_name("Peluit local test time-stamping authority", organisation),
        key=tsa_key,
        issuer=ca_cert,
        issuer_key=ca_key,
        eku=ExtendedKeyUsageOID.TIME_STAMPING,
        signing=False,
    )
    _write(files.ca_key, _key_pem(ca_key), secret=True)
    _write(files.ca_cert, _cert_pem(ca_cert), secret=False)
    _write(files.signer_key, _key_pem(signer_key), secret=True)
    _write(files.signer_cert, _cert_pem(signer_cert), secret=False)
    _write(files.tsa_key, _key_pem(tsa_key), secret=True)
    _write(files.tsa_cert, _cert_pem(tsa_cert), secret=False)
    _issue_crl(files, ca_cert, ca_key)
    return files


def _load_ca(files: TestCaFiles) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the test CA key is not an ECDSA key")
    return cert, key


def _issue_crl(files: TestCaFiles, ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey) -> bytes:
    now = _now()
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - dt.timedelta(minutes=5))
        .next_update(now + CRL_VALIDITY)
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    data = crl.public_bytes(serialization.Encoding.DER)
    _write(files.crl, data, secret=False)
    return data


def current_crl(directory: Path) -> bytes:
    """Return the test CA's revocation list (DER), issuing a new one when it is missing or a day old."""
    files = TestCaFiles(directory)
    if files.crl.is_file():
        data = files.crl.read_bytes()
        crl = x509.load_der_x509_crl(data)
        if crl.last_update_utc > _now() - CRL_REFRESH:
            return data
    ca_cert, ca_key = _load_ca(files)
    return _issue_crl(files, ca_cert, ca_key)


def export_pkcs12(directory: Path, target: Path, *, password: bytes) -> Path:
    """Write the test CA's signing key and certificate (with the CA) as a PKCS#12 file protected by ``password``.

    For trying the production signer (``PELUIT_SIGNING_P12``) without an institution certificate, and for tests.
    """
    files = TestCaFiles(directory)
    key = serialization.load_pem_private_key(files.signer_key.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the test signing key is not an ECDSA key")
    cert = x509.load_pem_x509_certificate(files.signer_cert.read_bytes())
    ca_cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    data = pkcs12.serialize_key_and_certificates(
        b"peluit-signer",
        key,
        cert,
        [ca_cert],
        serialization.BestAvailableEncryption(password),
    )
    _write(target, data, secret=True)
    return target
