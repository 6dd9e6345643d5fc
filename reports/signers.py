"""Signer strategies for PDF exports, named by dotted path in ``PELUIT_PDF_SIGNER`` (like ``PASSWORD_HASHERS``).

- ``LocalTestCaSigner`` (default): the local test CA in ``PELUIT_SIGNING_DIR`` (``manage.py signing_test_ca``,
  run by ``bin/run`` and ``bin/test``). For development, demos and CI; its certificate says "not for production".
- ``Pkcs12Signer``: the institution's certificate and key in a PKCS#12 file (``PELUIT_SIGNING_P12``, password in
  ``PELUIT_SIGNING_P12_PASSWORD``); chosen automatically when ``PELUIT_SIGNING_P12`` is set.
- ``RemoteSigningAdapter``: the interface for a remote signing service (a PSrE such as BSrE signs the digest;
  the key never comes here). Subclass it, implement three methods, and name the subclass in
  ``PELUIT_PDF_SIGNER``. docs/reports.md describes the contract.

Every strategy returns a pyHanko ``Signer`` and says which certificates to trust and which revocation data to
embed for PAdES B-LT. Key files are read by pyHanko; only ``vault/`` imports ``cryptography`` directly.
"""

from __future__ import annotations

import abc
import asyncio
from functools import lru_cache
from pathlib import Path

from asn1crypto import algos, x509
from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from pyhanko.keys import load_cert_from_pemder, load_certs_from_pemder
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from reports.exceptions import SigningUnavailable
from vault import signing_keys


class PdfSigningStrategy(abc.ABC):
    """How exports are signed: the pyHanko signer, the certificates to trust, the revocation data to embed."""

    #: Whether pyHanko may fetch OCSP responses and CRLs over the network for B-LT (institution CAs publish them).
    allow_fetching = False

    @abc.abstractmethod
    def signer(self) -> signers.Signer:
        """Return the pyHanko signer; raise ``SigningUnavailable`` when the key cannot be used."""

    def trust_roots(self) -> list[x509.Certificate]:
        """Return the root certificates a signature of this installation chains to."""
        return []

    def crls(self) -> list[bytes]:
        """Return revocation lists (DER) to embed for B-LT when fetching is not allowed."""
        return []

    def signing_certificate(self) -> x509.Certificate:
        """Return the certificate exports are signed with (shown on /verify/ as "this installation")."""
        cert = self.signer().signing_cert
        assert cert is not None
        return cert


class LocalTestCaSigner(PdfSigningStrategy):
    """The local test CA made by ``manage.py signing_test_ca`` in ``PELUIT_SIGNING_DIR``."""

    def __init__(self, directory: Path | None = None) -> None:
        self.files = signing_keys.TestCaFiles(Path(directory or settings.PELUIT_SIGNING_DIR))

    def _require(self) -> None:
        if not self.files.complete():
            raise SigningUnavailable(
                _(
                    "The signing key is missing (%(dir)s). Create the local test CA with "
                    "'python manage.py signing_test_ca' (bin/run does it), or set PELUIT_SIGNING_P12."
                )
                % {"dir": self.files.directory}
            )

    def signer(self) -> signers.Signer:
        self._require()
        return _load_pem_signer(
            str(self.files.signer_key), str(self.files.signer_cert), str(self.files.ca_cert), self._mtime()
        )

    def _mtime(self) -> float:
        return self.files.signer_key.stat().st_mtime

    def trust_roots(self) -> list[x509.Certificate]:
        self._require()
        return [load_cert_from_pemder(str(self.files.ca_cert))]  # type: ignore[no-untyped-call]

    def crls(self) -> list[bytes]:
        self._require()
        return [signing_keys.current_crl(self.files.directory)]


@lru_cache(maxsize=4)
def _load_pem_signer(key: str, cert: str, ca: str, _mtime: float) -> signers.SimpleSigner:
    signer: signers.SimpleSigner | None = signers.SimpleSigner.load(  # type: ignore[no-untyped-call]
        key, cert, ca_chain_files=(ca,)
    )
    if signer is None:
        raise SigningUnavailable(_("The signing key or certificate cannot be read."))
    return signer


class Pkcs12Signer(PdfSigningStrategy):
    """The institution's certificate in a PKCS#12 file (``PELUIT_SIGNING_P12`` + ``PELUIT_SIGNING_P12_PASSWORD``)."""

    allow_fetching = True

    def __init__(self, path: str | None = None, password: str | None = None) -> None:
        self.path = Path(path if path is not None else settings.PELUIT_SIGNING_P12)
        self.password = password if password is not None else str(settings.PELUIT_SIGNING_P12_PASSWORD)

    def signer(self) -> signers.Signer:
        if not str(self.path) or not self.path.is_file():
            raise SigningUnavailable(
                _("The signing certificate file PELUIT_SIGNING_P12 (%(path)s) does not exist.") % {"path": self.path}
            )
        try:
            signer: signers.SimpleSigner | None = signers.SimpleSigner.load_pkcs12(  # type: ignore[no-untyped-call]
                str(self.path), passphrase=self.password.encode() or None
            )
        except (ValueError, TypeError, OSError):
            signer = None
        if signer is None:
            raise SigningUnavailable(
                _(
                    "The signing certificate file PELUIT_SIGNING_P12 cannot be opened: the password "
                    "(PELUIT_SIGNING_P12_PASSWORD) is wrong or the file is not PKCS#12."
                )
            )
        return signer

    def trust_roots(self) -> list[x509.Certificate]:
        registry = self.signer().cert_registry
        roots = [cert for cert in registry if cert.self_signed in ("yes", "maybe")] if registry else []
        return roots + extra_trust_roots()


class RemoteSigningAdapter(PdfSigningStrategy):
    """Base for a remote signing service (PSrE/BSrE): the service holds the key and signs what we send.

    Implement ``remote_certificate`` (the signer's certificate), ``remote_chain`` (intermediates up to the root)
    and ``remote_sign`` (sign the DER-encoded CMS signed attributes with the given digest algorithm and return
    the raw signature value). pyHanko builds the PAdES signature around the returned value.
    """

    allow_fetching = True
    #: e.g. "sha256_ecdsa" or "sha256_rsa": what the service's key produces.
    signature_mechanism = "sha256_ecdsa"

    @abc.abstractmethod
    def remote_certificate(self) -> x509.Certificate:
        """Return the signing certificate the service signs with."""

    @abc.abstractmethod
    def remote_chain(self) -> list[x509.Certificate]:
        """Return the certificates between the signing certificate and (including) its root."""

    @abc.abstractmethod
    def remote_sign(self, data: bytes, digest_algorithm: str) -> bytes:
        """Return the service's signature of ``data`` (raise ``SigningUnavailable`` when it refuses or fails)."""

    def signer(self) -> signers.Signer:
        return _RemoteSigner(self)

    def trust_roots(self) -> list[x509.Certificate]:
        return [c for c in self.remote_chain() if c.self_signed in ("yes", "maybe")] + extra_trust_roots()


class _RemoteSigner(signers.Signer):
    """A pyHanko signer whose raw signatures come from a ``RemoteSigningAdapter``."""

    def __init__(self, adapter: RemoteSigningAdapter) -> None:
        self.adapter = adapter
        super().__init__(
            signing_cert=adapter.remote_certificate(),
            cert_registry=SimpleCertificateStore.from_certs(adapter.remote_chain()),  # type: ignore[no-untyped-call]
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": adapter.signature_mechanism}),
        )

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            # pyHanko sizes the signature container first; a P-256 ECDSA signature is at most 72 bytes in DER.
            return bytes(512)
        # The service is called from a worker thread so a blocking HTTP client does not stall pyHanko's loop.
        return await asyncio.to_thread(self.adapter.remote_sign, data, digest_algorithm)


def extra_trust_roots() -> list[x509.Certificate]:
    """Return the certificates in the PEM files listed in ``PELUIT_SIGNING_TRUST_ROOTS``."""
    roots: list[x509.Certificate] = []
    for path in getattr(settings, "PELUIT_SIGNING_TRUST_ROOTS", []):
        if Path(path).is_file():
            roots.extend(load_certs_from_pemder([path]))  # type: ignore[no-untyped-call]
    return roots


def get_signing_strategy() -> PdfSigningStrategy:
    """Return the configured signer strategy (``PELUIT_PDF_SIGNER``)."""
    path = str(getattr(settings, "PELUIT_PDF_SIGNER", "reports.signers.LocalTestCaSigner"))
    try:
        strategy_class = import_string(path)
    except ImportError:
        raise SigningUnavailable(
            _("PELUIT_PDF_SIGNER names %(path)s, which does not exist.") % {"path": path}
        ) from None
    strategy = strategy_class()
    if not isinstance(strategy, PdfSigningStrategy):
        raise SigningUnavailable(_("PELUIT_PDF_SIGNER must name a signer strategy class."))
    return strategy
