"""Officer key pairs: created with the account, re-wrapped on password change, replaced on admin reset."""

from __future__ import annotations

from django.db import transaction

from audit.actions import Action
from vault import conf, crypto, events, formats
from vault.access import Keyring
from vault.exceptions import AccessDenied, CorruptCiphertext, NotSetUp, VaultError, WrongPassword
from vault.models import CaseKey, EscrowShare, OfficerKey
from vault.permissions import Staff, may_hold_case_keys


def _context(user: Staff, public_key: bytes) -> bytes:
    return b"officer:" + str(user.pk).encode("ascii") + b":" + public_key


def _wrap(user: Staff, password: str, private_key: bytes, public_key: bytes) -> bytes:
    return formats.password_wrap(
        password,
        private_key,
        params=conf.kdf_params("officer"),
        pepper=formats.pepper_key(conf.pepper()),
        context=_context(user, public_key),
    )


def unwrap_private_key(*, user: Staff, password: str) -> bytes:
    """Return the officer's private key; raise ``WrongPassword``, or ``NotSetUp`` when there is no key."""
    row = OfficerKey.objects.filter(user_id=user.pk).first()
    if row is None:
        raise NotSetUp()
    return _unwrap(row, password)


def _unwrap(row: OfficerKey, password: str) -> bytes:
    public_key = bytes(row.public_key)
    try:
        private_key = formats.password_unwrap(
            password,
            bytes(row.wrapped_private_key),
            pepper=formats.pepper_key(conf.pepper()),
            context=_context(row.user, public_key),
        )
    except formats.FormatError as exc:
        raise WrongPassword() from exc
    if crypto.box_public_key(private_key) != public_key:
        raise CorruptCiphertext()
    return private_key


def unlock_keyring(*, user: Staff, password: str) -> Keyring:
    """Return the staff member's keyring opened with their password (management commands, tests).

    The console uses ``unlock_console`` instead, which keeps the key in the split-key session.
    Raises ``WrongPassword``, ``NotSetUp`` (no key pair) or ``AccessDenied`` for roles without case keys.
    """
    if not may_hold_case_keys(user):
        raise AccessDenied()
    return Keyring(user=user, _private_key=unwrap_private_key(user=user, password=password))


def has_officer_key(*, user: Staff) -> bool:
    """Return True when the staff member has a key pair (and so can be granted cases)."""
    return OfficerKey.objects.filter(user_id=user.pk).exists()


@transaction.atomic
def enrol_officer(*, user: Staff, password: str, actor: Staff | str = "system") -> None:
    """Create the staff member's X25519 key pair, the private key wrapped under Argon2id(password, pepper).

    Only roles that may hold case keys (officer, supervisor) are enrolled; raises ``VaultError`` otherwise
    or when the staff member already has a key.
    """
    if not may_hold_case_keys(user):
        raise VaultError()
    if OfficerKey.objects.filter(user_id=user.pk).exists():
        raise VaultError()
    public_key, private_key = crypto.box_keypair()
    OfficerKey.objects.create(
        user_id=user.pk, public_key=public_key, wrapped_private_key=_wrap(user, password, private_key, public_key)
    )
    events.record(action=Action.OFFICER_KEY_CREATED, actor=actor, details={"staff": user.username})


@transaction.atomic
def rewrap_officer_key(*, user: Staff, old_password: str, new_password: str) -> None:
    """Re-wrap the officer's private key under the new password (same key pair, grants unchanged).

    Raises ``WrongPassword`` when ``old_password`` does not unwrap it. A staff member without a key pair
    who may hold case keys is enrolled with the new password instead; others are left alone.
    """
    row = OfficerKey.objects.select_for_update().filter(user_id=user.pk).first()
    if row is None:
        if may_hold_case_keys(user):
            enrol_officer(user=user, password=new_password, actor=user)
        return
    private_key = _unwrap(row, old_password)
    row.wrapped_private_key = _wrap(user, new_password, private_key, bytes(row.public_key))
    row.save(update_fields=["wrapped_private_key", "updated_at"])
    events.record(action=Action.OFFICER_KEY_REWRAPPED, actor=user, details={"staff": user.username})


@transaction.atomic
def reset_officer_key(*, user: Staff, new_password: str, actor: Staff | str = "system") -> None:
    """Give the staff member a new key pair after an administrator reset their password.

    The old private key is unrecoverable without the old password, so every grant sealed to it (and an
    escrow share held by them) is deleted: the officer reads nothing until the escrow holder re-grants.
    Staff who may no longer hold case keys lose their key pair instead of getting a new one.
    """
    grants_removed, _by_model = CaseKey.objects.filter(officer_id=user.pk).delete()
    share_removed, _by_model = EscrowShare.objects.filter(holder_id=user.pk).delete()
    if may_hold_case_keys(user):
        public_key, private_key = crypto.box_keypair()
        wrapped = _wrap(user, new_password, private_key, public_key)
        OfficerKey.objects.update_or_create(
            user_id=user.pk, defaults={"public_key": public_key, "wrapped_private_key": wrapped}
        )
    else:  # e.g. an officer who became an administrator: no key at all any more
        OfficerKey.objects.filter(user_id=user.pk).delete()
    events.record(
        action=Action.OFFICER_KEY_RESET,
        actor=actor,
        details={"staff": user.username, "grants_removed": grants_removed, "escrow_share_removed": bool(share_removed)},
    )
