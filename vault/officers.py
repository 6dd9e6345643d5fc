"""Officer key pairs: created with the account, re-wrapped on password change, replaced on admin reset."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class NewWrapping:
    """A private key wrapped under a new password, made before the write transaction (Argon2id is slow).

    ``replaces`` is the wrapped key it was re-wrapped from (``None``: a new key pair). The write that uses it
    checks the stored key is still that one, so a wrapping made from a key changed meanwhile is not written.
    """

    user_id: int
    public_key: bytes
    wrapped_private_key: bytes
    replaces: bytes | None


def _new_key_pair(user: Staff, password: str) -> NewWrapping:
    public_key, private_key = crypto.box_keypair()
    return NewWrapping(
        user_id=user.pk,
        public_key=public_key,
        wrapped_private_key=_wrap(user, password, private_key, public_key),
        replaces=None,
    )


def prepare_rewrap(*, user: Staff, old_password: str, new_password: str) -> NewWrapping | None:
    """Unwrap the officer's key with ``old_password`` and wrap it under ``new_password``; no write.

    Call it outside any transaction and pass the result to ``rewrap_officer_key``. Raises ``WrongPassword``.
    A staff member without a key pair who may hold case keys gets a new one; others get ``None``.
    """
    row = OfficerKey.objects.filter(user_id=user.pk).first()
    if row is None:
        return _new_key_pair(user, new_password) if may_hold_case_keys(user) else None
    private_key = _unwrap(row, old_password)
    public_key = bytes(row.public_key)
    return NewWrapping(
        user_id=user.pk,
        public_key=public_key,
        wrapped_private_key=_wrap(user, new_password, private_key, public_key),
        replaces=bytes(row.wrapped_private_key),
    )


def prepare_new_key(*, user: Staff, new_password: str) -> NewWrapping | None:
    """Make the new key pair an administrator's password reset gives (``None`` for roles without keys); no write."""
    return _new_key_pair(user, new_password) if may_hold_case_keys(user) else None


@transaction.atomic
def enrol_officer(
    *, user: Staff, password: str, actor: Staff | str = "system", prepared: NewWrapping | None = None
) -> None:
    """Create the staff member's X25519 key pair, the private key wrapped under Argon2id(password, pepper).

    Only roles that may hold case keys (officer, supervisor) are enrolled; raises ``VaultError`` otherwise
    or when the staff member already has a key. ``prepared`` (from ``prepare_new_key``, made before the
    transaction) is stored as it is; without it the key pair is made here.
    """
    if not may_hold_case_keys(user):
        raise VaultError()
    if OfficerKey.objects.filter(user_id=user.pk).exists():
        raise VaultError()
    if prepared is None or prepared.user_id != user.pk or prepared.replaces is not None:
        prepared = _new_key_pair(user, password)
    _store_new_key(user, prepared, actor=actor)


@transaction.atomic
def rewrap_officer_key(
    *, user: Staff, old_password: str, new_password: str, prepared: NewWrapping | None = None
) -> None:
    """Re-wrap the officer's private key under the new password (same key pair, grants unchanged).

    Raises ``WrongPassword`` when ``old_password`` does not unwrap it. A staff member without a key pair
    who may hold case keys is enrolled with the new password instead; others are left alone. ``prepared``
    (from ``prepare_rewrap``, made before the transaction) is written as it is when it still fits the stored
    key; otherwise the wrapping is made here.
    """
    row = OfficerKey.objects.select_for_update().filter(user_id=user.pk).first()
    if row is None:
        if may_hold_case_keys(user):
            enrol_officer(user=user, password=new_password, actor=user, prepared=prepared)
        return
    if prepared is not None and prepared.user_id == user.pk and prepared.replaces == bytes(row.wrapped_private_key):
        row.wrapped_private_key = prepared.wrapped_private_key
    else:
        private_key = _unwrap(row, old_password)
        row.wrapped_private_key = _wrap(user, new_password, private_key, bytes(row.public_key))
    row.save(update_fields=["wrapped_private_key", "updated_at"])
    events.record(action=Action.OFFICER_KEY_REWRAPPED, actor=user, details={"staff": user.username})


def _store_new_key(user: Staff, prepared: NewWrapping, *, actor: Staff | str) -> None:
    OfficerKey.objects.create(
        user_id=user.pk, public_key=prepared.public_key, wrapped_private_key=prepared.wrapped_private_key
    )
    events.record(action=Action.OFFICER_KEY_CREATED, actor=actor, details={"staff": user.username})


@transaction.atomic
def reset_officer_key(
    *, user: Staff, new_password: str, actor: Staff | str = "system", prepared: NewWrapping | None = None
) -> None:
    """Give the staff member a new key pair after an administrator reset their password.

    The old private key is unrecoverable without the old password, so every grant sealed to it (and an
    escrow share held by them) is deleted: the officer reads nothing until the escrow holder re-grants.
    Staff who may no longer hold case keys lose their key pair instead of getting a new one. ``prepared``
    (from ``prepare_new_key``, made before the transaction) is the new key pair; without it one is made here.
    """
    grants_removed, _by_model = CaseKey.objects.filter(officer_id=user.pk).delete()
    share_removed, _by_model = EscrowShare.objects.filter(holder_id=user.pk).delete()
    if may_hold_case_keys(user):
        fresh = prepared if prepared is not None and prepared.user_id == user.pk else _new_key_pair(user, new_password)
        OfficerKey.objects.update_or_create(
            user_id=user.pk,
            defaults={"public_key": fresh.public_key, "wrapped_private_key": fresh.wrapped_private_key},
        )
    else:  # e.g. an officer who became an administrator: no key at all any more
        OfficerKey.objects.filter(user_id=user.pk).delete()
    events.record(
        action=Action.OFFICER_KEY_RESET,
        actor=actor,
        details={"staff": user.username, "grants_removed": grants_removed, "escrow_share_removed": bool(share_removed)},
    )
