"""The inspectorate's escrow key: created at set-up, held by the head of the inspectorate, and once printed.

The escrow private key exists only (a) sealed to each holder's officer public key, so it unlocks with the
holder's console login and survives their password changes, and (b) wrapped under a printed recovery code,
which does not depend on the server pepper: a database backup plus the recovery sheet recovers every case.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.actions import Action
from vault import conf, crypto, events, formats
from vault.access import EscrowKeyring, Keyring
from vault.exceptions import AccessDenied, CorruptCiphertext, NotSetUp, VaultError, WrongPassword
from vault.models import EscrowKey, EscrowShare, OfficerKey
from vault.permissions import Staff, may_hold_case_keys

RECOVERY_CODE_BYTES = 20  # 160 bits, 32 base32 characters
_RECOVERY_SHAPE = re.compile(r"[A-Z2-7]{32}")


def _share_context(escrow_public_key: bytes) -> bytes:
    return b"escrow-share:" + escrow_public_key


def _recovery_context(escrow_public_key: bytes) -> bytes:
    return b"escrow-recovery:" + escrow_public_key


def escrow_exists() -> bool:
    """Return True once the escrow key has been created."""
    return EscrowKey.objects.exists()


def escrow_public_key() -> bytes:
    """Return the escrow public key; raise ``NotSetUp`` before ``escrow_create``."""
    public_key = EscrowKey.objects.values_list("public_key", flat=True).first()
    if public_key is None:
        raise NotSetUp()
    return bytes(public_key)


@dataclass(frozen=True)
class EscrowStatus:
    """What the console shows about the escrow key (no key material)."""

    exists: bool
    holders: list[str]
    recovery_issued_at: datetime | None

    @property
    def at_risk(self) -> bool:
        """True when losing one holder's password would lose the escrow key for good."""
        return self.exists and self.recovery_issued_at is None and len(self.holders) < 2


def escrow_status() -> EscrowStatus:
    """Return whether the escrow key exists, who holds it and when the recovery sheet was issued."""
    row = EscrowKey.objects.first()
    holders = sorted(EscrowShare.objects.values_list("holder__username", flat=True))
    return EscrowStatus(
        exists=row is not None, holders=holders, recovery_issued_at=row.recovery_issued_at if row else None
    )


def is_escrow_holder(user: Staff) -> bool:
    """Return True when ``user`` holds a share of the escrow key."""
    return EscrowShare.objects.filter(holder_id=user.pk).exists()


def _seal_share(holder: Staff, escrow_private_key: bytes, escrow_public: bytes) -> None:
    if not may_hold_case_keys(holder):
        raise AccessDenied(_("Only a supervisor or officer with a key can hold the escrow key."))
    officer_key = OfficerKey.objects.filter(user_id=holder.pk).first()
    if officer_key is None:
        raise NotSetUp(_("This staff member has no key yet; they must log in once first."))
    sealed = formats.sealed_key(
        bytes(officer_key.public_key), escrow_private_key, context=_share_context(escrow_public)
    )
    EscrowShare.objects.update_or_create(holder_id=holder.pk, defaults={"sealed_private_key": sealed})


@transaction.atomic
def escrow_create(*, holder: Staff, actor: Staff | str = "system") -> None:
    """Create the escrow key pair, its private key sealed to ``holder`` (who must have an officer key)."""
    if EscrowKey.objects.exists():
        raise VaultError(_("The escrow key already exists."))
    public_key, private_key = crypto.box_keypair()
    try:
        with transaction.atomic():
            EscrowKey.objects.create(public_key=public_key)
    except IntegrityError as exc:  # created concurrently (the singleton constraint)
        raise VaultError(_("The escrow key already exists.")) from exc
    _seal_share(holder, private_key, public_key)
    events.record(action=Action.ESCROW_CREATED, actor=actor, details={"holder": holder.username})


@transaction.atomic
def escrow_add_holder(*, escrow: EscrowKeyring, holder: Staff) -> None:
    """Seal the escrow key to another holder (e.g. a new head of the inspectorate)."""
    _seal_share(holder, escrow._private_key, escrow._public_key)
    events.record(action=Action.ESCROW_HOLDER_ADDED, actor=escrow.actor, details={"holder": holder.username})


def escrow_keyring_for(*, keyring: Keyring) -> EscrowKeyring:
    """Return the escrow keyring of an unlocked holder; raise ``AccessDenied`` for anyone else."""
    share = EscrowShare.objects.filter(holder_id=keyring.user.pk).first()
    row = EscrowKey.objects.first()
    if share is None or row is None or not may_hold_case_keys(keyring.user):
        raise AccessDenied()
    public_key = bytes(row.public_key)
    try:
        private_key = formats.sealed_key_open(
            keyring._private_key, bytes(share.sealed_private_key), context=_share_context(public_key)
        )
    except formats.FormatError as exc:
        raise CorruptCiphertext() from exc
    return EscrowKeyring(holder=keyring.user, _private_key=private_key, _public_key=public_key)


def new_recovery_code() -> str:
    """Return a fresh recovery code: 32 base32 characters (160 bits) in groups of four."""
    raw = base64.b32encode(crypto.random_bytes(RECOVERY_CODE_BYTES)).decode("ascii")
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise_recovery_code(text: str) -> str:
    """Return the recovery code's 32 characters (upper case, no separators); ``WrongPassword`` on bad shape."""
    code = re.sub(r"[\s\-]+", "", text or "").upper()
    if not _RECOVERY_SHAPE.fullmatch(code):
        raise WrongPassword(_("The recovery code must be 32 letters and digits (A-Z, 2-7)."))
    return code


@transaction.atomic
def escrow_issue_recovery(*, escrow: EscrowKeyring, replace: bool = False) -> str:
    """Wrap the escrow key under a new recovery code and return the code, to be printed once.

    Raises ``VaultError`` when a recovery sheet was already issued, unless ``replace`` (the old sheet then
    stops working).
    """
    row = EscrowKey.objects.select_for_update().get()
    if row.recovery_wrapped_private_key is not None and not replace:
        raise VaultError(_("A recovery sheet was already issued. Replace it explicitly if it is lost."))
    code = new_recovery_code()
    row.recovery_wrapped_private_key = formats.password_wrap(
        normalise_recovery_code(code),
        escrow._private_key,
        params=conf.kdf_params("recovery"),
        pepper=b"",
        context=_recovery_context(bytes(row.public_key)),
    )
    row.recovery_issued_at = timezone.now()
    row.save(update_fields=["recovery_wrapped_private_key", "recovery_issued_at"])
    events.record(action=Action.ESCROW_RECOVERY_PRINTED, actor=escrow.actor, details={"replaced": replace})
    return code


def escrow_keyring_from_recovery(*, recovery_code: str) -> EscrowKeyring:
    """Return the escrow keyring opened with the printed recovery code; ``WrongPassword`` if it does not fit."""
    code = normalise_recovery_code(recovery_code)
    row = EscrowKey.objects.first()
    if row is None or row.recovery_wrapped_private_key is None:
        raise NotSetUp(_("No recovery sheet has been issued."))
    public_key = bytes(row.public_key)
    try:
        private_key = formats.password_unwrap(
            code, bytes(row.recovery_wrapped_private_key), pepper=b"", context=_recovery_context(public_key)
        )
    except formats.FormatError as exc:
        raise WrongPassword(_("The recovery code is wrong.")) from exc
    if crypto.box_public_key(private_key) != public_key:
        raise CorruptCiphertext()
    return EscrowKeyring(holder=None, _private_key=private_key, _public_key=public_key)
