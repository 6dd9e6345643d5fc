"""Who may reach a report's keys: an officer's keyring, the escrow keyring, or the reporter's access.

These objects hold key material in memory for one request; they are never stored or logged (their ``repr``
hides the keys). ``unseal_report_key`` is the one place that turns an access object into a report key, and
the one place that audits an unseal for reading.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from django.db import transaction

from audit.actions import Action
from vault import events, formats
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


def unseal_report_key(access: Access, report_id: uuid.UUID, *, scope: str = CaseKey.Scope.DATA, audit: bool) -> bytes:
    """Unseal and return the report's data key (or identity key) with ``access``; ``AccessDenied`` if it may not.

    With ``audit`` (the key is used to read), staff access records one ``REPORT_UNSEALED`` event per report,
    scope and keyring (inside the caller's transaction, if any). Callers that only re-seal the key or encrypt
    new content pass ``audit=False``: their own event says what they did.
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
                details={"via": "officer" if isinstance(access, Keyring) else "escrow", "scope": str(scope)},
            )
        access._audited.add(cache_key)
    return cached
