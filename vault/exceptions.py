"""What can go wrong in the vault. Each exception carries a user-facing, translatable ``message``.

Messages never contain report content, receipts or key material.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


class VaultError(Exception):
    """Base of every vault failure."""

    default_message: str | StrPromise = _("The protected data could not be processed.")

    def __init__(self, message: str | StrPromise | None = None) -> None:
        self.message: str | StrPromise = message if message is not None else self.default_message
        super().__init__(str(self.message))


class AccessDenied(VaultError):
    """The keyring holds no key for this report (not granted, revoked, or the wrong kind of account)."""

    default_message = _("You have no access to this report.")


class VaultLocked(VaultError):
    """The console session holds no usable key: not logged in, second factor missing, cookie or session gone."""

    default_message = _("Your key is locked. Please log in again to read protected content.")


class UnknownReceipt(VaultError):
    """The receipt has the wrong shape or matches no report."""

    default_message = _("This receipt code is not valid. Check the 16 digits and try again.")


class CorruptCiphertext(VaultError):
    """Stored ciphertext was changed, truncated, moved to another report or is in an unknown format."""

    default_message = _("The protected data is damaged and cannot be read. Please tell the administrator.")


class WrongPassword(VaultError):
    """A password (or recovery code) does not unwrap the key."""

    default_message = _("The password is wrong.")


class FollowupExpired(VaultError):
    """The reporter's follow-up session ended (timeout, logout) or the cookie is not valid."""

    default_message = _("Your session has ended. Please enter your receipt code again.")


class NotSetUp(VaultError):
    """A required key does not exist yet (the escrow key, or an officer key)."""

    default_message = _("The vault is not set up yet. Ask the administrator to create the escrow key.")
