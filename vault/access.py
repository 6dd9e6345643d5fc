"""Who may reach a report's keys: an officer's keyring, the escrow keyring, or the reporter's access.

These objects hold key material in memory for one request; they are never stored or logged (their ``repr``
hides the keys). ``unseal_report_key`` is the one place that turns an access object into a report key, and
the one place that audits an unseal for reading.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import transaction

from audit.actions import Action
from vault import crypto, events, formats
from vault.exceptions import AccessDenied, CorruptCiphertext
from vault.models import CaseKey
from vault.permissions import Staff, may_hold_case_keys

logger = logging.getLogger(__name__)


@dataclass(eq=False, repr=False)
class Keyring:
    """An officer's unlocked private key, for the duration of one request."""

    user: Staff
    _private_key: bytes
    _keys: dict[tuple[uuid.UUID, str], bytes] = field(default_factory=dict)
    _audited: set[tuple[uuid.UUID, str]] = field(default_factory=set)

    def __repr__(self) -> str:
        return f"<Keyring of user {self.user.pk}>"


@dataclass(eq=False, repr=False)
class EscrowKeyring:
    """The unlocked escrow private key; ``holder`` is None when it was opened with the recovery code."""

    holder: Staff | None
    _private_key: bytes
    _public_key: bytes
    _keys: dict[tuple[uuid.UUID, str], bytes] = field(default_factory=dict)
    _audited: set[tuple[uuid.UUID, str]] = field(default_factory=set)

    def __repr__(self) -> str:
        return "<EscrowKeyring>"

    @property
    def actor(self) -> Staff | str:
        """Who acts with this keyring, for the audit log."""
        return self.holder if self.holder is not None else "system"


@dataclass(frozen=True, eq=False, repr=False)
class ReporterAccess:
    """The reporter's access to their own report, opened with the receipt or the follow-up cookie."""

    report_id: uuid.UUID
    _data_key: bytes

    def __repr__(self) -> str:
        return "<ReporterAccess>"


# Anything that may use a report's keys: what ``seal``, ``open`` and the attachment functions accept.
Access = Keyring | EscrowKeyring | ReporterAccess
# Staff access: what may open a reporter's identity (after a disclosure grant).
StaffAccess = Keyring | EscrowKeyring


def case_key_context(report_id: uuid.UUID, scope: str) -> bytes:
    """Return the binding context sealed with a report key (so a sealed key moved to another row fails)."""
    return b"case:" + report_id.bytes + scope.encode("ascii")


def _unseal(private_key: bytes, row: CaseKey, report_id: uuid.UUID, scope: str) -> bytes:
    try:
        return formats.sealed_key_open(private_key, bytes(row.sealed_key), context=case_key_context(report_id, scope))
    except formats.FormatError as exc:
        logger.error("vault: sealed %s key of report %s does not open (row %s)", scope, report_id, row.pk)
        raise CorruptCiphertext() from exc


def unseal_report_key(
    access: Access, report_id: uuid.UUID, *, scope: str = CaseKey.Scope.DATA, audit: bool, case_ref: str = ""
) -> bytes:
    """Unseal and return the report's data key (or identity key) with ``access``; ``AccessDenied`` if it may not.

    With ``audit`` (the key is used to read), staff access records one ``REPORT_UNSEALED`` event per report,
    scope and keyring (inside the caller's transaction, if any), under ``case_ref`` when given (the case
    number; else ``events.case_ref_for`` looks it up). Callers that only re-seal the key or encrypt new
    content pass ``audit=False``: their own event says what they did.
    """
    if isinstance(access, ReporterAccess):
        if access.report_id != report_id or scope != CaseKey.Scope.DATA:
            raise AccessDenied()
        return access._data_key
    if isinstance(access, Keyring) and not may_hold_case_keys(access.user):
        raise AccessDenied()
    cache_key = (report_id, str(scope))
    cached = access._keys.get(cache_key)
    if cached is None:
        if isinstance(access, Keyring):
            row = CaseKey.objects.filter(report_id=report_id, scope=scope, officer_id=access.user.pk).first()
        else:
            row = CaseKey.objects.filter(report_id=report_id, scope=scope, officer__isnull=True).first()
        if row is None:
            raise AccessDenied()
        cached = _unseal(access._private_key, row, report_id, str(scope))
        access._keys[cache_key] = cached
    if audit and cache_key not in access._audited:
        with transaction.atomic():
            events.record(
                action=Action.REPORT_UNSEALED,
                actor=access.user if isinstance(access, Keyring) else access.actor,
                report_id=report_id,
                case_ref=case_ref,
                details={"via": "officer" if isinstance(access, Keyring) else "escrow", "scope": str(scope)},
            )
        access._audited.add(cache_key)
    return cached


# --- Every report a keyring holds, at once (search in held cases) ------------------------------------------
# Below this many keys one thread opens them; above, the work is split over the processor's cores (libsodium
# runs without Python's global lock, so threads use them).
PARALLEL_UNSEAL_FROM = 256
MAX_UNSEAL_THREADS = 4


@dataclass(frozen=True, eq=False, repr=False)
class HeldReports:
    """The reports whose data keys a keyring opened at once (``report_ids``), and how many did not open.

    ``open`` decrypts their sealed blobs with the opened keys, without a query or a permission check per blob
    (both were done once). It holds key material for one request: never stored or logged.
    """

    report_ids: list[uuid.UUID]
    unreadable: int
    _keys: dict[uuid.UUID, bytes]

    def __repr__(self) -> str:
        return f"<HeldReports {len(self.report_ids)}>"

    def open(self, report_id: uuid.UUID, purpose: str, ciphertext: bytes) -> bytes:
        """Return the plaintext of a ``seal`` blob of one of these reports; ``AccessDenied`` for another report,
        ``CorruptCiphertext`` when it was changed or belongs elsewhere."""
        key = self._keys.get(report_id)
        if key is None:
            raise AccessDenied()
        try:
            return formats.content_open(key, report_id, purpose, ciphertext)
        except formats.FormatError as exc:
            logger.error("vault: ciphertext of report %s (%s) does not open", report_id, purpose)
            raise CorruptCiphertext() from exc


def _open_rows(
    private_key: bytes, public_key: bytes, rows: Sequence[tuple[uuid.UUID, bytes]]
) -> list[tuple[uuid.UUID, bytes | None]]:
    opened: list[tuple[uuid.UUID, bytes | None]] = []
    for report_id, sealed in rows:
        context = case_key_context(report_id, CaseKey.Scope.DATA)
        try:
            key: bytes | None = formats.sealed_key_open(private_key, sealed, context=context, public_key=public_key)
        except formats.FormatError:
            key = None
        opened.append((report_id, key))
    return opened


def unseal_held_reports(keyring: Keyring, *, purpose: str) -> HeldReports:
    """Unseal the data key of every report the keyring's officer holds, and audit it as one event.

    One query reads the officer's sealed keys; they are opened (over several threads when there are many) into
    the returned ``HeldReports`` (whose ``open`` decrypts blobs of those reports) and into the keyring's cache
    for this request, so ``vault.open`` and the attachment functions use them without a query and without an
    event of their own. One ``REPORT_UNSEALED`` event records the officer, how many reports were
    unsealed and ``purpose`` (e.g. ``search``). A key that does not open is counted in ``unreadable`` and
    logged (by row id, never content); the rest stay usable. ``AccessDenied`` when the officer may not hold
    case keys.
    """
    if not may_hold_case_keys(keyring.user):
        raise AccessDenied()
    rows = [
        (report_id, bytes(sealed))
        for report_id, sealed in CaseKey.objects.filter(
            officer_id=keyring.user.pk, scope=CaseKey.Scope.DATA
        ).values_list("report_id", "sealed_key")
    ]
    public_key = crypto.box_public_key(keyring._private_key)
    threads = min(MAX_UNSEAL_THREADS, os.cpu_count() or 1)
    if len(rows) < PARALLEL_UNSEAL_FROM or threads < 2:
        opened = _open_rows(keyring._private_key, public_key, rows)
    else:
        size = -(-len(rows) // threads)
        parts = [rows[start : start + size] for start in range(0, len(rows), size)]
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="vault-unseal") as pool:
            opened = [
                item
                for part in pool.map(lambda part: _open_rows(keyring._private_key, public_key, part), parts)
                for item in part
            ]
    report_ids: list[uuid.UUID] = []
    keys: dict[uuid.UUID, bytes] = {}
    for report_id, key in opened:
        if key is None:
            logger.error("vault: sealed data key of report %s does not open for user %s", report_id, keyring.user.pk)
            continue
        cache_key = (report_id, str(CaseKey.Scope.DATA))
        keyring._keys[cache_key] = key
        keyring._audited.add(cache_key)
        keys[report_id] = key
        report_ids.append(report_id)
    with transaction.atomic():
        events.record(
            action=Action.REPORT_UNSEALED,
            actor=keyring.user,
            details={
                "via": "officer",
                "scope": str(CaseKey.Scope.DATA),
                "reports": len(report_ids),
                "purpose": purpose,
            },
        )
    return HeldReports(report_ids=report_ids, unreadable=len(opened) - len(report_ids), _keys=keys)
