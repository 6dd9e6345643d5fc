"""Sealed reports: data keys, content, grants, the reporter's receipt and the separately sealed identity.

Who holds which report is read here too (``holder_ids``, ``granted_report_ids``, ``holds_report``), as
querysets callers can use as subqueries; nothing outside the vault queries ``CaseKey`` itself.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from audit.actions import Action
from audit.inserts import insert_rows, new_row
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
from vault.escrow import escrow_public_key
from vault.events import record
from vault.exceptions import AccessDenied, CorruptCiphertext, UnknownReceipt, VaultError
from vault.models import AttachmentBlob, CaseKey, OfficerKey, ReceiptKey, SealedIdentity
from vault.permissions import HOLD_CASE_KEYS, Staff, may_hold_case_keys

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


@dataclass(frozen=True)
class RecipientKey:
    """An intake recipient as sealing needs them: staff id, username (for the audit log) and public key."""

    staff_id: int
    username: str
    public_key: bytes


def recipient_keys(*, users: QuerySet[Any]) -> list[RecipientKey]:
    """Return the public keys of those of ``users`` who may hold case keys and have a key, in one query.

    The permission is checked in SQL (``with_perm``, the model backend's rule: active, and granted through a
    group or directly, or a superuser), so a list of recipients costs one query however long it is.
    """
    return recipient_keys_from_rows(recipient_keys_query(users=users))


def recipient_keys_query(*, users: QuerySet[Any]) -> QuerySet[Any]:
    """Return the query behind ``recipient_keys``: rows of (staff id, username, public key), by staff id."""
    model = get_user_model()
    holders = model._default_manager.with_perm(HOLD_CASE_KEYS, backend="django.contrib.auth.backends.ModelBackend")
    return (
        OfficerKey.objects.filter(user__in=users.values("pk"))
        .filter(user__in=holders.values("pk"))
        .order_by("user_id")
        .values_list("user_id", f"user__{model.USERNAME_FIELD}", "public_key")
    )


def recipient_keys_from_rows(rows: Iterable[Sequence[Any]]) -> list[RecipientKey]:
    """Return the ``RecipientKey`` of each row of ``recipient_keys_query`` (also read as plain SQL rows)."""
    return [RecipientKey(staff_id=int(pk), username=str(name), public_key=bytes(key)) for pk, name, key in rows]


def _staff_recipient_keys(recipients: Sequence[Staff]) -> list[RecipientKey]:
    keys = []
    for officer in recipients:
        try:
            public_key = _officer_public_key(officer)
        except AccessDenied:
            logger.warning("vault: intake recipient %s has no officer key; skipped", officer.pk)
            continue
        keys.append(RecipientKey(staff_id=int(officer.pk), username=officer.get_username(), public_key=public_key))
    return keys


@dataclass(frozen=True, repr=False)
class PreparedReport:
    """A new report's keys, made and sealed before the submission's transaction; ``store_report`` writes them.

    ``receipt`` (16 digits, unformatted) is shown to the reporter once; ``access`` is the reporter's access,
    with which the caller seals the content before the transaction too.
    """

    report_id: uuid.UUID
    receipt: str
    access: ReporterAccess
    case_keys: tuple[CaseKey, ...]
    receipt_key: ReceiptKey
    identity: SealedIdentity | None
    granted_to: tuple[str, ...]

    def __repr__(self) -> str:
        return "<PreparedReport>"


def prepare_report(
    *,
    report_id: uuid.UUID,
    recipients: Sequence[RecipientKey],
    identity: bytes | None = None,
    receipt: receipts.PreparedReceipt | None = None,
    escrow_public: bytes | None = None,
) -> PreparedReport:
    """Make a new report's keys and seal them; write nothing. Call it outside any database transaction.

    A random data key is sealed to each recipient's public key (``recipient_keys``) and to the escrow key,
    and wrapped for the reporter under the key derived from a new receipt (the Argon2id derivation, the slow
    part, runs here). ``identity`` (if given) is sealed under a separate identity key that only the escrow key
    can open (see ``grant_identity``). ``receipt`` (``prepare_receipt()``) supplies the receipt already
    derived; ``escrow_public`` the escrow public key a caller read before (``escrow_public_key``, which never
    changes once made), else it is read here. Raises ``NotSetUp`` when there is no escrow key yet.
    """
    if escrow_public is None:
        escrow_public = escrow_public_key()
    data_key = crypto.random_key()
    data_context = case_key_context(report_id, CaseKey.Scope.DATA)
    case_keys = [
        new_row(CaseKey, report_id=report_id, scope=CaseKey.Scope.DATA, officer_id=officer_id, sealed_key=sealed)
        for officer_id, sealed in [
            (None, formats.sealed_key(escrow_public, data_key, context=data_context)),
            *((r.staff_id, formats.sealed_key(r.public_key, data_key, context=data_context)) for r in recipients),
        ]
    ]
    digits, receipt_key = _new_receipt(report_id, data_key, receipt)
    sealed_identity = None
    if identity is not None:
        identity_key = crypto.random_key()
        context = case_key_context(report_id, CaseKey.Scope.IDENTITY)
        case_keys.append(
            new_row(
                CaseKey,
                report_id=report_id,
                scope=CaseKey.Scope.IDENTITY,
                officer_id=None,
                sealed_key=formats.sealed_key(escrow_public, identity_key, context=context),
            )
        )
        sealed_identity = SealedIdentity(
            report_id=report_id, ciphertext=formats.content_seal(identity_key, report_id, IDENTITY_PURPOSE, identity)
        )
    return PreparedReport(
        report_id=report_id,
        receipt=digits,
        access=ReporterAccess(report_id=report_id, _data_key=data_key),
        case_keys=tuple(case_keys),
        receipt_key=receipt_key,
        identity=sealed_identity,
        granted_to=tuple(r.username for r in recipients),
    )


def store_report(*, prepared: PreparedReport, case_ref: str = "") -> None:
    """Write a prepared report's keys inside the caller's transaction: a few inserts, no cryptography.

    Records one ``CASE_GRANTED`` event per recipient (``via`` intake), named ``case_ref`` (else the report
    id). A report stored before fails on the receipt key's unique report id (``IntegrityError``).
    """
    report_id = prepared.report_id
    # The rows may be written again after a rolled-back try (the caller retries on a busy database): clear
    # the ids the database gave them last time.
    rows: list[CaseKey | ReceiptKey | SealedIdentity] = [*prepared.case_keys, prepared.receipt_key]
    if prepared.identity is not None:
        rows.append(prepared.identity)
    for row in rows:
        row.pk = None
        row._state.adding = True
    insert_rows(prepared.case_keys)
    insert_rows([prepared.receipt_key])
    if prepared.identity is not None:
        insert_rows([prepared.identity])
    for username in prepared.granted_to:
        record(
            action=Action.CASE_GRANTED,
            actor="system",
            report_id=report_id,
            case_ref=case_ref or str(report_id),
            details={"officer": username, "via": "intake"},
        )


@transaction.atomic
def seal_report(
    *,
    report_id: uuid.UUID,
    recipients: Sequence[Staff],
    identity: bytes | None = None,
    case_ref: str = "",
    receipt: receipts.PreparedReceipt | None = None,
) -> NewReport:
    """Create the report's keys and return its receipt and the reporter's access, in one step.

    ``prepare_report`` and ``store_report`` in the caller's transaction (the Argon2id derivation then runs
    inside it: intake calls the two separately). Recipients who may not hold keys, or have none, are skipped
    (the escrow copy keeps the report readable). Raises ``NotSetUp`` when there is no escrow key yet.
    ``receipt`` (from ``prepare_receipt()``) saves the derivation here.
    """
    if ReceiptKey.objects.filter(report_id=report_id).exists() or CaseKey.objects.filter(report_id=report_id).exists():
        raise VaultError(_("This report has already been sealed."))
    prepared = prepare_report(
        report_id=report_id, recipients=_staff_recipient_keys(recipients), identity=identity, receipt=receipt
    )
    store_report(prepared=prepared, case_ref=case_ref)
    return NewReport(receipt=prepared.receipt, access=prepared.access)


def _new_receipt(
    report_id: uuid.UUID, data_key: bytes, prepared: receipts.PreparedReceipt | None
) -> tuple[str, ReceiptKey]:
    """Return a new receipt and its unsaved ``ReceiptKey`` row (the reporter's wrapped copy of the data key).

    ``prepared`` is used first; a new receipt is derived (Argon2id, queued at the vault's KDF gate) otherwise.
    """
    for _attempt in range(5):
        if prepared is None:
            prepared = receipts.prepare_receipt()
        receipt, params, keys = prepared.receipt, prepared.params, prepared.keys
        prepared = None
        if _receipt_taken(keys.lookup_id):  # ~never: 10^16 receipts
            continue
        wrapped = formats.key_wrap(
            keys.reporter_key, data_key, context=receipts.receipt_context(keys.lookup_id, report_id.bytes)
        )
        row = new_row(
            ReceiptKey,
            report_id=report_id,
            lookup_id=keys.lookup_id,
            kdf_ops=params.ops,
            kdf_mem=params.mem,
            wrapped_data_key=wrapped,
        )
        return receipt, row
    raise VaultError()  # pragma: no cover - five collisions in a row


def _receipt_taken(lookup_id: bytes) -> bool:
    """Return whether a receipt key with ``lookup_id`` exists: one indexed read, in plain SQL because every
    submission makes it and the ORM's query building cost four times the read (0.1 ms of 0.13 in-process)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM vault_receiptkey WHERE lookup_id = %s LIMIT 1", [lookup_id])
        return cursor.fetchone() is not None


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


def open(*, access: Access, report_id: uuid.UUID, purpose: str, ciphertext: bytes, case_ref: str = "") -> bytes:
    """Return the plaintext of a ``seal`` blob; ``AccessDenied`` without a key, ``CorruptCiphertext`` if changed.

    A blob sealed for another report or purpose counts as changed. Staff access records one
    ``REPORT_UNSEALED`` audit event per report and keyring (that is, per request), under ``case_ref`` when the
    caller knows the case number (else it is looked up).
    """
    data_key = unseal_report_key(access, report_id, audit=True, case_ref=case_ref)
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


def holds_identity(*, user: Staff, report_id: uuid.UUID) -> bool:
    """Return True when ``user`` may hold case keys and the report's identity key was sealed to them."""
    return (
        may_hold_case_keys(user)
        and CaseKey.objects.filter(report_id=report_id, scope=CaseKey.Scope.IDENTITY, officer_id=user.pk).exists()
    )


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
    transaction.on_commit(empty_sqlite_wal)
    return len(names)


def empty_sqlite_wal() -> None:
    """On SQLite, copy the WAL into the database file and truncate it (a no-op on PostgreSQL).

    Deleted keys stay in the WAL file until a checkpoint has copied it and the file is reused, and Peluit
    checkpoints every 10,000 pages (docs/decisions.md); ``secure_delete`` (config/settings.py) zeroes the freed
    space in the database file itself. Best effort: with long readers the WAL is truncated at the next shred.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:  # no checkpoint inside a transaction
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
