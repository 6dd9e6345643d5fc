"""PAdES signatures on exports (pyHanko): B-B by default, B-T with a time-stamping authority, B-LT with it.

- **B-B**: a CAdES-detached signature (``ETSI.CAdES.detached``) over the whole file with the signing
  certificate's chain inside; SHA-256, ECDSA P-256 with the local test CA.
- **B-T**: plus an RFC 3161 signature time-stamp from ``PELUIT_TSA_URL``.
- **B-LT**: plus the validation data (certificates, CRLs or OCSP responses) in the document's DSS, added in an
  incremental update after the signature, so the PDF can be validated years later without the network.

``PELUIT_PADES_LEVEL`` chooses; empty means B-LT when a TSA is configured, else B-B.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.general import SigningError
from pyhanko_certvalidator import ValidationContext

from reports.exceptions import SigningUnavailable
from reports.signers import PdfSigningStrategy, get_signing_strategy

LEVELS = ("B-B", "B-T", "B-LT")
SIGNATURE_FIELD = "PeluitSignature"
TSA_TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class SignedPdf:
    """A signed document, the PAdES level it was signed at and its SHA-256 (hex)."""

    data: bytes
    level: str

    @property
    def sha256(self) -> str:
        """The SHA-256 of the whole signed file, as recorded in the audit log."""
        return hashlib.sha256(self.data).hexdigest()


def pades_level() -> str:
    """Return the configured PAdES level; raise ``SigningUnavailable`` for an unknown one or a missing TSA."""
    tsa = str(getattr(settings, "PELUIT_TSA_URL", "") or "")
    level = (str(getattr(settings, "PELUIT_PADES_LEVEL", "") or "") or ("B-LT" if tsa else "B-B")).upper()
    if level not in LEVELS:
        raise SigningUnavailable(_("PELUIT_PADES_LEVEL must be one of %(levels)s.") % {"levels": ", ".join(LEVELS)})
    if level != "B-B" and not tsa:
        raise SigningUnavailable(
            _("PAdES %(level)s needs a time-stamping authority (PELUIT_TSA_URL).") % {"level": level}
        )
    return level


def validation_context(strategy: PdfSigningStrategy) -> ValidationContext:
    """Return the validation context for B-LT data and for checking our own signatures."""
    crls = strategy.crls()
    return ValidationContext(
        trust_roots=strategy.trust_roots(),
        crls=crls,
        allow_fetching=strategy.allow_fetching,
        revocation_mode="hard-fail" if crls or strategy.allow_fetching else "soft-fail",
    )


def sign_pdf(pdf: bytes, *, reason: str, strategy: PdfSigningStrategy | None = None) -> SignedPdf:
    """Sign ``pdf`` with the configured strategy and level and return the signed bytes.

    Raises ``SigningUnavailable`` with a clear message when the key is missing or unusable, the TSA does not
    answer, or validation data cannot be gathered for B-LT.
    """
    strategy = strategy or get_signing_strategy()
    level = pades_level()
    signer = strategy.signer()
    timestamper = None
    if level != "B-B":
        timestamper = timestamps.HTTPTimeStamper(str(settings.PELUIT_TSA_URL), timeout=TSA_TIMEOUT_SECONDS)
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=str(getattr(settings, "PELUIT_INSTITUTION_NAME", "")),
        embed_validation_info=level == "B-LT",
        validation_context=validation_context(strategy) if level == "B-LT" else None,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    try:
        # sign_pdf runs its own event loop; Celery workers and Django requests have none running here.
        output = signers.PdfSigner(meta, signer=signer, timestamper=timestamper).sign_pdf(writer)
    except SigningError as exc:
        raise SigningUnavailable(_("The document could not be signed: %(error)s") % {"error": exc}) from exc
    except (TimeoutError, OSError) as exc:
        raise SigningUnavailable(
            _("The time-stamping authority did not answer (%(error)s).") % {"error": type(exc).__name__}
        ) from exc
    except Exception as exc:  # pyHanko wraps TSA and validation failures in several exception types
        if type(exc).__module__.startswith(("pyhanko", "aiohttp", "requests")):
            raise SigningUnavailable(_("The document could not be signed: %(error)s") % {"error": exc}) from exc
        raise
    data = output.getvalue()
    return SignedPdf(data=data, level=level)
