"""Checking a signed export: is the signature valid, by whom, when, was the file changed after signing, and is
its embedded audit checkpoint consistent with the audit log's latest published checkpoint (an RFC 9162
consistency proof; never today's log, whose size would date reports: ``audit/publication.py``).

Works on bytes in memory only (the /verify/ page never stores an upload). The input is hostile: its size is
bounded by the caller, anything pyHanko or pikepdf cannot parse is "not a readable PDF", never an error page.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import x509
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel, TimestampSignatureStatus

from audit.checkpoints import CheckpointAltered
from audit.note import NoteError
from audit.publication import check_against_published
from audit.verify import CheckpointInputError
from reports.checkpoint import extract_checkpoint
from reports.exceptions import SigningUnavailable
from reports.signers import extra_trust_roots, get_signing_strategy
from reports.signing import validation_context

logger = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"


@dataclass
class SignatureCheck:
    """What one embedded signature says."""

    field_name: str
    intact: bool  # the signed bytes hash to the value in the signature
    valid: bool  # the signature over them verifies with the signer's key
    trusted: bool  # the signer's certificate chains to a root this installation trusts
    ours: bool  # signed with this installation's own certificate
    signer: str
    signed_at: datetime | None
    timestamped_at: datetime | None
    covers_whole_file: bool
    changed_after_signing: bool  # something other than validation data was added after signing
    only_validation_data_added: bool
    level: str


@dataclass
class CheckpointCheck:
    """The embedded audit checkpoint against today's log."""

    found: bool
    consistent: bool = False
    pending: bool = False  # newer than the published checkpoint (or none published yet): checked later
    tree_size: int | None = None
    published_size: int | None = None
    message: str = ""


@dataclass
class Verification:
    """The outcome for one uploaded file."""

    is_pdf: bool
    readable: bool = True
    signatures: list[SignatureCheck] = field(default_factory=list)
    checkpoint: CheckpointCheck | None = None
    problem: str = ""

    @property
    def signed(self) -> bool:
        """True when the file carries at least one signature."""
        return bool(self.signatures)

    @property
    def valid(self) -> bool:
        """True when every signature is intact and valid, and nothing but validation data was added later."""
        return self.signed and all(s.intact and s.valid and not s.changed_after_signing for s in self.signatures)

    @property
    def authentic(self) -> bool:
        """True when valid, signed with this installation's certificate, and the checkpoint is consistent."""
        return (
            self.valid
            and all(s.ours or s.trusted for s in self.signatures)
            and self.checkpoint is not None
            and self.checkpoint.consistent
        )


def _subject(cert: x509.Certificate | None) -> str:
    if cert is None:
        return ""
    return str(cert.subject.human_friendly)


def _level(status: PdfSignatureStatus, dss: bool) -> str:
    if status.timestamp_validity is None:
        return "B-B"
    return "B-LT" if dss else "B-T"


def _check_signature(embedded: object, reader: PdfFileReader, ours: x509.Certificate | None) -> SignatureCheck:
    try:
        strategy = get_signing_strategy()
        context = validation_context(strategy)
        trust_context = context
    except SigningUnavailable:
        from pyhanko_certvalidator import ValidationContext

        trust_context = context = ValidationContext(trust_roots=extra_trust_roots())
    status = validate_pdf_signature(embedded, context, ts_validation_context=trust_context)  # type: ignore[arg-type]
    modification = status.modification_level
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    only_ltv = not whole and modification in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)
    changed = not whole and not only_ltv
    timestamp = status.timestamp_validity
    signer_cert = status.signing_cert
    return SignatureCheck(
        field_name=str(getattr(embedded, "field_name", "")),
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        ours=ours is not None and signer_cert is not None and signer_cert.dump() == ours.dump(),
        signer=_subject(signer_cert),
        signed_at=status.signer_reported_dt,
        timestamped_at=timestamp.timestamp if isinstance(timestamp, TimestampSignatureStatus) else None,
        covers_whole_file=whole,
        changed_after_signing=changed,
        only_validation_data_added=only_ltv,
        level=_level(status, reader.root.get("/DSS") is not None),
    )


def _check_checkpoint(data: bytes) -> CheckpointCheck:
    """Check the PDF's embedded checkpoint against the audit log's latest published checkpoint.

    Never against today's log: this page is public, and today's size would date every report to the minute
    (``audit.publication.check_against_published``).
    """
    note = extract_checkpoint(data)
    if note is None:
        return CheckpointCheck(found=False, message=_("The document carries no audit checkpoint."))
    try:
        result = check_against_published(note)
    except (CheckpointInputError, NoteError) as exc:
        return CheckpointCheck(
            found=True, message=_("The embedded checkpoint cannot be used: %(error)s") % {"error": exc}
        )
    except CheckpointAltered:
        return CheckpointCheck(
            found=True,
            message=_("The audit log's published checkpoint cannot be read: its operator must run audit_verify."),
        )
    size = result.body.tree_size
    if result.published is None:
        message = _(
            "The audit log has not published a checkpoint yet. This document's checkpoint (%(size)s events) can be "
            "checked after the first publication, at the start of a coming hour."
        ) % {"size": size}
        return CheckpointCheck(found=True, pending=True, tree_size=size, message=str(message))
    published = result.published.tree_size
    if result.consistent is None:
        message = _(
            "This document's checkpoint (%(size)s events) is newer than the audit log's latest published "
            "checkpoint (%(published)s events). It can be checked after the next publication, at the start of a "
            "coming hour."
        ) % {"size": size, "published": published}
        return CheckpointCheck(found=True, pending=True, tree_size=size, published_size=published, message=message)
    if result.consistent:
        message = _(
            "Consistent: the audit log's latest published checkpoint (%(published)s events) still contains the "
            "%(size)s events the document's checkpoint signed (consistency proof of %(proof)s hashes)."
        ) % {"published": published, "size": size, "proof": result.proof_hashes}
    else:
        message = _(
            "Not consistent: the audit log's latest published checkpoint (%(published)s events) does not contain "
            "the events the document's checkpoint signed: an event at or before #%(size)s was changed, inserted, "
            "removed or reordered since the document was made."
        ) % {"published": published, "size": size}
    return CheckpointCheck(
        found=True,
        consistent=bool(result.consistent),
        tree_size=size,
        published_size=published,
        message=str(message),
    )


def own_certificate() -> x509.Certificate | None:
    """Return this installation's signing certificate, or None when no signer is configured."""
    try:
        return get_signing_strategy().signing_certificate()
    except SigningUnavailable:
        return None


def verify_pdf(data: bytes) -> Verification:
    """Check the PDF in ``data``: every signature, and its embedded audit checkpoint against the published one."""
    head = data[:1024]
    if PDF_MAGIC not in head:
        return Verification(is_pdf=False, problem=_("This is not a PDF file."))
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception:  # hostile input: any parser failure means "unreadable"
        return Verification(is_pdf=True, readable=False, problem=_("The PDF cannot be read: it is damaged."))
    result = Verification(is_pdf=True)
    if not embedded:
        result.problem = _("The document is not signed.")
    ours = own_certificate()
    for signature in embedded:
        try:
            result.signatures.append(_check_signature(signature, reader, ours))
        except Exception:
            logger.info("verify: a signature could not be checked", exc_info=False)
            result.signatures.append(
                SignatureCheck(
                    field_name=str(getattr(signature, "field_name", "")),
                    intact=False,
                    valid=False,
                    trusted=False,
                    ours=False,
                    signer="",
                    signed_at=None,
                    timestamped_at=None,
                    covers_whole_file=False,
                    changed_after_signing=True,
                    only_validation_data_added=False,
                    level="",
                )
            )
    result.checkpoint = _check_checkpoint(data)
    return result
