"""Sealed reports: data keys, content, grants, the reporter's receipt and the separately sealed identity.

Who holds which report is read here too (``holder_ids``, ``granted_report_ids``, ``holds_report``), as
querysets callers can use as subqueries; nothing outside the vault queries ``CaseKey`` itself.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from audit.actions import Action
from vault import crypto, formats, receipts
from vault.access import (
    Access,
    EscrowKeyring,
    Keyring,
    ReporterAccess,
    StaffAccess,
    case_key_context,
    unseal_report_key,
)
from vault.events import record
from vault.exceptions import AccessDenied, CorruptCiphertext, NotSetUp, UnknownReceipt, VaultError
from vault.models import AttachmentBlob, CaseKey, EscrowKey, OfficerKey, ReceiptKey, SealedIdentity
from vault.permissions import Staff, may_hold_case_keys

logger = logging.getLogger(__name__)

IDENTITY_PURPOSE = "identity"


@dataclass(frozen=True, repr=False)
class NewReport:
    """A freshly sealed report: the receipt to show once (16 digits, unformatted) and the reporter's access."""

    receipt: str
    access: ReporterAccess

    def __repr__(self) -> str:
        return "<NewReport>"


def _seal_case_key(report_id: uuid.UUID, scope: str, key: bytes, public_key: bytes, officer: Staff | None) -> None:
    sealed = formats.sealed_key(public_key, key, context=case_key_context(report_id, scope))
    officer_id = officer.pk if officer is not None else None
    CaseKey.objects.update_or_create(
        report_id=report_id, scope=scope, officer_id=officer_id, defaults={"sealed_key": sealed}
    )


def _officer_public_key(officer: Staff) -> bytes:
    row = OfficerKey.objects.filter(user_id=officer.pk).first()
    if row is None or not may_hold_case_keys(officer):
        raise AccessDenied(_("This staff member cannot be given access to cases."))
    return bytes(row.public_key)


@transaction.atomic
def seal_report(
    *,
    report_id: uuid.UUID,
    recipients: Sequence[Staff],
    identity: bytes | None = None,
    case_ref: str = "",
    receipt: receipts.PreparedReceipt | None = None,
) -> NewReport:
    """Create the report's keys and return its receipt and the reporter's access.

    A random data key is sealed to each recipient's public key and to the escrow key, and wrapped for the
    reporter under the receipt-derived key. ``identity`` (if given) is sealed under a separate identity key
    that only the escrow key can open (see ``grant_identity``). Recipients without a key are skipped (the
    escrow copy keeps the report readable). Raises ``NotSetUp`` when there is no escrow key yet.

    Pass ``receipt`` from ``prepare_receipt()`` made before the caller's transaction: otherwise the
    receipt's Argon2id derivation runs here, inside it.
    """
    escrow = EscrowKey.objects.first()
    if escrow is None:
        raise NotSetUp()
    if ReceiptKey.objects.filter(report_id=report_id).exists() or CaseKey.objects.filter(report_id=report_id).exists():
        raise VaultError(_("This report has already been sealed."))
    data_key = crypto.random_key()
    _seal_case_key(report_id, CaseKey.Scope.DATA, data_key, bytes(escrow.public_key), None)
    for officer in recipients:
        try:
            public_key = _officer_public_key(officer)
        except AccessDenied:
            logger.warning("vault: intake recipient %s has no officer key; skipped", officer.pk)
            continue
        _seal_case_key(report_id, CaseKey.Scope.DATA, data_key, public_key, officer)
        record(
            action=Action.CASE_GRANTED,
            actor="system",
            report_id=report_id,
            case_ref=case_ref,
            details={"officer": officer.get_username(), "via": "intake"},
        )
    digits = _create_receipt(report_id, data_key, receipt)
    if identity is not None:
        identity_key = crypto.random_key()
        _seal_case_key(report_id, CaseKey.Scope.IDENTITY, identity_key, bytes(escrow.public_key), None)
        SealedIdentity.objects.create(
            report_id=report_id, ciphertext=formats.content_seal(identity_key, report_id, IDENTITY_PURPOSE, identity)
        )
    return NewReport(receipt=digits, access=ReporterAccess(report_id=report_id, _data_key=data_key))


def _create_receipt(report_id: uuid.UUID, data_key: bytes, prepared: receipts.PreparedReceipt | None) -> str:
    for _attempt in range(5):
        if prepared is None:
            prepared = receipts.prepare_receipt()
        receipt, params, keys = prepared.receipt, prepared.params, prepared.keys
        prepared = None
        if ReceiptKey.objects.filter(lookup_id=keys.lookup_id).exists():  # ~never: 10^16 receipts
            continue
        wrapped = formats.key_wrap(
            keys.reporter_key, data_key, context=receipts.receipt_context(keys.lookup_id, report_id.bytes)
        )
        ReceiptKey.objects.create(
            report_id=report_id,
            lookup_id=keys.lookup_id,
            kdf_ops=params.ops,
            kdf_mem=params.mem,
            wrapped_data_key=wrapped,
        )
        return receipt
    raise VaultError()  # pragma: no cover - five collisions in a row


def reporter_access(*, receipt: str) -> ReporterAccess:
    """Return the reporter's access to the report with this receipt; raise ``UnknownReceipt`` otherwise.

    Every known Argon2id cost is always derived and one wrapped key is always opened, so a wrong receipt
    costs the same time as a right one.
    """
    digits = receipts.normalise_receipt(receipt)
    found: tuple[ReceiptKey, bytes] | None = None
    for params in receipts.lookup_params():
        keys = receipts.derive(digits, params)
        row = ReceiptKey.objects.filter(lookup_id=keys.lookup_id).first()
        if row is not None and found is None and (row.kdf_ops, row.kdf_mem) == (params.ops, params.mem):
            found = (row, keys.reporter_key)
    if found is None:
        try:  # the same work as a hit, whose result is thrown away
            formats.key_unwrap(receipts.DUMMY_KEY, _DUMMY_WRAP, context=b"receipt:dummy")
        except formats.FormatError:
            pass
        raise UnknownReceipt()
    row, reporter_key = found
    report_id = uuid.UUID(str(row.report_id))
    try:
        context = receipts.receipt_context(bytes(row.lookup_id), report_id.bytes)
        data_key = formats.key_unwrap(reporter_key, bytes(row.wrapped_data_key), context=context)
    except formats.FormatError as exc:
        raise CorruptCiphertext() from exc
    return ReporterAccess(report_id=report_id, _data_key=data_key)


_DUMMY_WRAP = formats.key_wrap(crypto.random_key(), crypto.random_key(), context=b"receipt:dummy")


def seal(*, access: Access, report_id: uuid.UUID, purpose: str, plaintext: bytes) -> bytes:
    """Return ``plaintext`` encrypted under the report's data key, bound to ``report_id`` and ``purpose``.

    The result is a versioned blob (format 0x01) for the caller's ``BinaryField``. Raises ``AccessDenied``
    when ``access`` has no key for the report.
    """
    data_key = unseal_report_key(access, report_id, audit=False)
    return formats.content_seal(data_key, report_id, purpose, plaintext)


def open(*, access: Access, report_id: uuid.UUID, purpose: str, ciphertext: bytes) -> bytes:
    """Return the plaintext of a ``seal`` blob; ``AccessDenied`` without a key, ``CorruptCiphertext`` if changed.

    A blob sealed for another report or purpose counts as changed. Staff access records one
    ``REPORT_UNSEALED`` audit event per report and keyring (that is, per request).
    """
    data_key = unseal_report_key(access, report_id, audit=True)
    try:
        return formats.content_open(data_key, report_id, purpose, bytes(ciphertext))
    except formats.FormatError as exc:
        logger.error("vault: ciphertext of report %s (%s) does not open", report_id, purpose)
        raise CorruptCiphertext() from exc


def _grant(
    *,
    access: Keyring | EscrowKeyring,
    report_id: uuid.UUID,
    officer: Staff,
    scope: str,
    action: Action,
    actor: Staff | str,
    case_ref: str,
    details: dict[str, str] | None = None,
) -> None:
    """Unseal the report's key of ``scope`` with ``access``, seal it to ``officer`` and record ``action``.

    The one path of every grant (a holder's grant, an escrow re-grant, an identity disclosure); the caller
    holds the transaction. Raises ``AccessDenied`` when ``access`` cannot open the key or ``officer`` may not
    hold case keys.
    """
    key = unseal_report_key(access, report_id, scope=scope, audit=False)
    _seal_case_key(report_id, scope, key, _officer_public_key(officer), officer)
    record(
        action=action,
        actor=actor,
        report_id=report_id,
        case_ref=case_ref,
        details={"officer": officer.get_username(), **(details or {})},
    )


@transaction.atomic
def grant_case(*, report_id: uuid.UUID, keyring: Keyring, officer: Staff, case_ref: str = "") -> None:
    """Seal the report's data key to ``officer``, using a keyring that already holds it.

    Who may grant is the caller's rule (casework); the vault only checks that the keyring can open the
    report (``AccessDenied`` otherwise) and that the officer may hold case keys.
    """
    _grant(
        access=keyring,
        report_id=report_id,
        officer=officer,
        scope=CaseKey.Scope.DATA,
        action=Action.CASE_GRANTED,
        actor=keyring.user,
        case_ref=case_ref,
    )


@transaction.atomic
def revoke_case(*, report_id: uuid.UUID, officer: Staff, actor: Staff | str = "system", case_ref: str = "") -> None:
    """Delete the officer's keys to the report (content and, if disclosed, identity).

    What the officer already read cannot be taken back; this stops any further reading.
    """
    removed, _by_model = CaseKey.objects.filter(report_id=report_id, officer_id=officer.pk).delete()
    record(
        action=Action.CASE_REVOKED,
        actor=actor,
        report_id=report_id,
        case_ref=case_ref,
        details={"officer": officer.get_username(), "keys_removed": removed},
    )


@transaction.atomic
def escrow_regrant(*, report_id: uuid.UUID, escrow: EscrowKeyring, officer: Staff, case_ref: str = "") -> None:
    """Re-grant a report to ``officer`` from the escrow copy (officer left, forgot a password, was reset)."""
    _grant(
        access=escrow,
        report_id=report_id,
        officer=officer,
        scope=CaseKey.Scope.DATA,
        action=Action.CASE_REGRANTED_BY_ESCROW,
        actor=escrow.actor,
        case_ref=case_ref,
    )


def holder_ids(*, report_id: uuid.UUID) -> QuerySet[CaseKey, int]:
    """Return (as a subquery) the ids of the staff who hold the report's data key."""
    return CaseKey.objects.filter(report_id=report_id, scope=CaseKey.Scope.DATA, officer__isnull=False).values_list(
        "officer_id", flat=True
    )


def granted_officer_ids(*, report_id: uuid.UUID) -> set[int]:
    """Return the ids of the staff who hold the report's data key."""
    return set(holder_ids(report_id=report_id))


def granted_report_ids(*, user: Staff) -> QuerySet[CaseKey, uuid.UUID]:
    """Return (as a subquery) the ids of the reports whose data key is sealed to ``user``."""
    return CaseKey.objects.filter(officer_id=user.pk, scope=CaseKey.Scope.DATA).values_list("report_id", flat=True)


def holds_report(*, user: Staff, report_id: uuid.UUID) -> bool:
    """Return True when ``user`` may hold case keys and holds the report's data key (granted, not revoked)."""
    return may_hold_case_keys(user) and holder_ids(report_id=report_id).filter(officer_id=user.pk).exists()


def has_identity(*, report_id: uuid.UUID) -> bool:
    """Return True when the reporter gave identity fields (sealed separately)."""
    return SealedIdentity.objects.filter(report_id=report_id).exists()


@transaction.atomic
def grant_identity(*, report_id: uuid.UUID, escrow: EscrowKeyring, officer: Staff, case_ref: str = "") -> None:
    """Seal the report's identity key to ``officer``: the cryptographic step of an approved disclosure.

    The disclosure rule (stated reason, second approval) is casework's; this needs the escrow keyring, so
    the escrow holder's action is always part of it. Raises ``AccessDenied`` when there is no identity.
    """
    _grant(
        access=escrow,
        report_id=report_id,
        officer=officer,
        scope=CaseKey.Scope.IDENTITY,
        action=Action.CASE_GRANTED,
        actor=escrow.actor,
        case_ref=case_ref,
        details={"scope": "identity"},
    )


def open_identity(*, access: StaffAccess, report_id: uuid.UUID) -> bytes:
    """Return the reporter's sealed identity bytes (as given to ``seal_report``).

    Raises ``AccessDenied`` without an identity grant (or when the reporter gave no identity). Each opening
    is audited (``REPORT_UNSEALED`` with scope ``identity``).
    """
    row = SealedIdentity.objects.filter(report_id=report_id).first()
    if row is None:
        raise AccessDenied()
    identity_key = unseal_report_key(access, report_id, scope=CaseKey.Scope.IDENTITY, audit=True)
    try:
        return formats.content_open(identity_key, report_id, IDENTITY_PURPOSE, bytes(row.ciphertext))
    except formats.FormatError as exc:
        raise CorruptCiphertext() from exc


@transaction.atomic
def shred_report(*, report_id: uuid.UUID) -> int:
    """Crypto-shred a report: delete every key to it and its attachment blobs; return the blobs deleted.

    Ciphertext left anywhere (backups, the case row until the caller deletes it) is unreadable afterwards.
    The caller records the retention event. Files are removed after the transaction commits.
    """
    from vault.attachments import delete_attachment

    CaseKey.objects.filter(report_id=report_id).delete()
    ReceiptKey.objects.filter(report_id=report_id).delete()
    SealedIdentity.objects.filter(report_id=report_id).delete()
    names = list(AttachmentBlob.objects.filter(report_id=report_id).values_list("name", flat=True))
    for name in names:
        delete_attachment(name=name)
    return len(names)
