"""The vault's API: the only way the rest of Peluit encrypts, decrypts and manages keys.

The functions live in small modules named after what they hold; this module gathers them so callers write
``from vault import services as vault`` and ``vault.seal(...)``. See docs/vault.md for formats and keys.
"""

from __future__ import annotations

from vault.access import Access, EscrowKeyring, HeldReports, Keyring, ReporterAccess, StaffAccess, unseal_held_reports
from vault.attachments import (
    StoredAttachment,
    delete_attachment,
    open_attachment,
    store_attachment,
    sweep_orphaned_blobs,
)
from vault.console import escrow_keyring, lock_console, officer_keyring, unlock_console
from vault.envelopes import envelope_readers, open_envelope, seal_envelope
from vault.escrow import (
    EscrowStatus,
    escrow_add_holder,
    escrow_create,
    escrow_exists,
    escrow_issue_recovery,
    escrow_keyring_for,
    escrow_keyring_from_recovery,
    escrow_status,
    is_escrow_holder,
)
from vault.followup import followup_begin, followup_end, followup_resume
from vault.held import (
    HeldFile,
    can_hold,
    held_files,
    hold_file,
    open_held_file,
    purge_expired_held_files,
    release_held_files,
)
from vault.officers import enrol_officer, has_officer_key, reset_officer_key, rewrap_officer_key, unlock_keyring
from vault.receipts import PreparedReceipt, format_receipt, normalise_receipt, prepare_receipt
from vault.sealing import (
    NewReport,
    escrow_regrant,
    grant_case,
    grant_identity,
    granted_officer_ids,
    granted_report_ids,
    has_identity,
    holder_ids,
    holds_report,
    open,
    open_identity,
    reporter_access,
    revoke_case,
    seal,
    seal_report,
    shred_report,
)

__all__ = [
    "Access",
    "EscrowKeyring",
    "EscrowStatus",
    "HeldFile",
    "HeldReports",
    "Keyring",
    "NewReport",
    "PreparedReceipt",
    "ReporterAccess",
    "StaffAccess",
    "StoredAttachment",
    "can_hold",
    "delete_attachment",
    "enrol_officer",
    "envelope_readers",
    "escrow_add_holder",
    "escrow_create",
    "escrow_exists",
    "escrow_issue_recovery",
    "escrow_keyring",
    "escrow_keyring_for",
    "escrow_keyring_from_recovery",
    "escrow_regrant",
    "escrow_status",
    "followup_begin",
    "followup_end",
    "followup_resume",
    "format_receipt",
    "grant_case",
    "grant_identity",
    "granted_officer_ids",
    "granted_report_ids",
    "has_identity",
    "has_officer_key",
    "held_files",
    "hold_file",
    "holder_ids",
    "holds_report",
    "is_escrow_holder",
    "lock_console",
    "normalise_receipt",
    "officer_keyring",
    "open",
    "open_attachment",
    "open_envelope",
    "open_held_file",
    "open_identity",
    "prepare_receipt",
    "purge_expired_held_files",
    "release_held_files",
    "reporter_access",
    "reset_officer_key",
    "revoke_case",
    "rewrap_officer_key",
    "seal",
    "seal_envelope",
    "seal_report",
    "shred_report",
    "store_attachment",
    "sweep_orphaned_blobs",
    "unlock_console",
    "unlock_keyring",
    "unseal_held_reports",
]
