"""A staff account's creation, password change or reset runs its Argon2id work outside the write transactions.

On SQLite the write transaction holds the database's one write lock (``BEGIN IMMEDIATE``): three Argon2id runs
at the officer cost inside it would stop every reporter's submission for seconds. The real functions run; a
wrapper records whether a transaction was open when each derivation started.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db import connection
from django.test import Client

from casework.staff import services
from casework.staff.roles import Role
from tests.support.staff import PASSWORD, StaffFactory, login
from vault import crypto
from vault import services as vault
from vault.exceptions import WrongPassword
from vault.models import OfficerKey

pytestmark = pytest.mark.django_db(transaction=True)
NEW_PASSWORD = "a fresh and long passphrase 42"


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Record, for each Argon2id run (the vault's and Django's password hasher), whether a transaction was open."""
    seen: list[bool] = []

    def spy(real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            seen.append(connection.in_atomic_block)
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(crypto, "argon2id_derive", spy(crypto.argon2id_derive))
    monkeypatch.setattr(Argon2PasswordHasher, "encode", spy(Argon2PasswordHasher.encode))
    yield seen


def test_changing_ones_own_password_derives_before_the_transaction(derivations: list[bool]) -> None:
    officer = StaffFactory(role=Role.OFFICER)
    derivations.clear()
    services.staff_change_own_password(user=officer, old_password=PASSWORD, new_password=NEW_PASSWORD)
    assert len(derivations) >= 3, "unwrap, re-wrap and the login hash each ran Argon2id"
    assert not any(derivations), derivations
    officer.refresh_from_db()
    assert officer.check_password(NEW_PASSWORD)
    vault.unlock_keyring(user=officer, password=NEW_PASSWORD)  # the same key pair opens with the new password


def test_an_administrators_reset_derives_before_the_transaction(derivations: list[bool]) -> None:
    admin = StaffFactory(role=Role.ADMIN)
    officer = StaffFactory(role=Role.OFFICER)
    derivations.clear()
    services.staff_reset_password(user=officer, new_password=NEW_PASSWORD, reset_by=admin)
    assert len(derivations) >= 2, "the new key's wrapping and the login hash each ran Argon2id"
    assert not any(derivations), derivations
    officer.refresh_from_db()
    assert officer.check_password(NEW_PASSWORD)
    vault.unlock_keyring(user=officer, password=NEW_PASSWORD)


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.OFFICER, Role.ADMIN])
def test_creating_an_account_derives_outside_every_transaction(derivations: list[bool], role: Role) -> None:
    """Before: the login hash and the vault key's wrapping ran inside the creation's transaction."""
    derivations.clear()
    created = services.staff_create(username=f"baru-{role.value}", role=role, password=NEW_PASSWORD, with_totp=False)
    holds_keys = role != Role.ADMIN
    assert len(derivations) >= (2 if holds_keys else 1), "the login hash (and the key's wrapping) ran Argon2id"
    assert not any(derivations), derivations
    user = created.user
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and user.role == role
    if holds_keys:
        vault.unlock_keyring(user=user, password=NEW_PASSWORD)
    assert vault.escrow_exists() is (role == Role.SUPERVISOR)  # the first supervisor holds the escrow key


def test_an_officer_without_a_key_pair_is_enrolled_at_login_outside_the_transaction(
    derivations: list[bool], client: Client
) -> None:
    officer = StaffFactory(role=Role.OFFICER)
    OfficerKey.objects.filter(user=officer).delete()  # made before the vault, or its creation was cut short
    derivations.clear()
    login(client, officer)
    assert OfficerKey.objects.filter(user=officer).exists()
    assert derivations and not any(derivations), derivations
    vault.unlock_keyring(user=officer, password=PASSWORD)


def test_a_wrong_old_password_changes_nothing(derivations: list[bool]) -> None:
    officer = StaffFactory(role=Role.OFFICER)
    before = officer.password
    with pytest.raises(WrongPassword):
        services.staff_change_own_password(
            user=officer, old_password="not the password at all", new_password=NEW_PASSWORD
        )
    officer.refresh_from_db()
    assert officer.password == before
    vault.unlock_keyring(user=officer, password=PASSWORD)
