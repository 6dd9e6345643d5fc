"""The split-key console session (DESIGN.md, Keys).

At the password step of login the officer's private key is unwrapped and re-encrypted under a fresh random
key. The ciphertext goes into the server-side session; the random key goes only into an HttpOnly, Secure,
SameSite=Strict cookie scoped to the console paths (set by ``vault.middleware.ConsoleKeyCookieMiddleware``).
Neither half alone opens anything, so a copy of the session store is useless, and the scheme works across
app servers. The keyring is handed out only once the second factor is verified; logout, idle expiry of the
session and a new login destroy it.

Every staff session is bound to its console cookie, also for staff who hold no case key (administrators,
auditors): the session keeps a hash of the cookie's key (``console_session_intact``), so a copied session
cookie without the console cookie of the same login counts as logged out (issue 9.10).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest

from vault import conf, crypto, formats
from vault.access import EscrowKeyring, Keyring
from vault.escrow import escrow_create, escrow_exists, escrow_keyring_for
from vault.exceptions import VaultError, VaultLocked
from vault.models import OfficerKey
from vault.officers import enrol_officer, prepare_new_key, unwrap_private_key
from vault.permissions import Staff, is_verified, may_hold_case_keys, may_hold_escrow_key

SESSION_KEY = "peluit_vault_key"
SESSION_BINDING = "peluit_console_binding"
_SET_COOKIE = "_peluit_vault_set_cookie"
_DELETE_COOKIE = "_peluit_vault_delete_cookie"
_CACHED_KEYRING = "_peluit_vault_keyring"


def console_cookies() -> list[tuple[str, str]]:
    """Return (name, path) of the console key cookie: ``/console/`` and each ``/<lang>/console/``.

    One name per path, because a response holds one cookie per name; a browser sends only the cookie of
    the path it is on, and reporter pages receive none of them.
    """
    return [
        (conf.CONSOLE_COOKIE, "/console/"),
        *((f"{conf.CONSOLE_COOKIE}_{code}", f"/{code}/console/") for code, _name in settings.LANGUAGES),
    ]


def _cookie_value(request: HttpRequest) -> str | None:
    for name, _path in console_cookies():
        value = request.COOKIES.get(name)
        if value:
            return value
    return None


def _context(user_pk: Any) -> bytes:
    return b"console:" + str(user_pk).encode("ascii")


def _encode(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii").rstrip("=")


def _decode(value: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise VaultLocked() from exc
    if len(raw) != crypto.KEY_BYTES:
        raise VaultLocked()
    return raw


def _binding(cookie_key: bytes, user_pk: Any) -> str:
    """Return what the session keeps of the console cookie: a keyed hash that does not reveal the cookie."""
    return hashlib.blake2b(cookie_key, key=_context(user_pk), digest_size=32, person=b"peluit-console").hexdigest()


def unlock_console(request: HttpRequest, *, user: Staff, password: str) -> None:
    """Bind the session to a new console cookie and keep the officer's private key in the split-key session.

    Call right after the password check and before the second factor; the key is usable only once the
    session is verified (``officer_keyring``). Every staff member gets the cookie (the binding); staff who may
    not hold case keys get no key. An officer without a key pair yet (created before the vault) is enrolled
    with this password, and staff who may hold the escrow key (supervisors) become its holder if there is no
    escrow key yet. Raises ``WrongPassword`` when the password does not unwrap the key (it was changed outside
    the console); the binding is made all the same.
    """
    request.session.pop(SESSION_KEY, None)
    setattr(request, _CACHED_KEYRING, None)
    cookie_key = crypto.random_key()
    request.session[SESSION_BINDING] = _binding(cookie_key, user.pk)
    setattr(request, _SET_COOKIE, _encode(cookie_key))
    if not may_hold_case_keys(user):
        return
    if not OfficerKey.objects.filter(user_id=user.pk).exists():
        # Wrapped (Argon2id) before enrol_officer's transaction opens.
        enrol_officer(
            user=user, password=password, actor=user, prepared=prepare_new_key(user=user, new_password=password)
        )
    if may_hold_escrow_key(user) and not escrow_exists():
        # Same rule as staff creation: the first supervisor holds the escrow key (databases older than it).
        with contextlib.suppress(VaultError):  # another supervisor was first
            escrow_create(holder=user, actor=user)
    private_key = unwrap_private_key(user=user, password=password)
    blob = formats.key_wrap(cookie_key, private_key, context=_context(user.pk))
    request.session[SESSION_KEY] = _encode(blob)


def console_session_intact(request: HttpRequest) -> bool:
    """Return True when the request carries the console cookie its session was bound to at login.

    False when the session has no binding (it predates it, or was logged out), the cookie is missing or
    malformed, or it belongs to another login: such a console request counts as logged out.
    """
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    cookie_value = _cookie_value(request)
    if session is None or user is None or not cookie_value:
        return False
    expected = session.get(SESSION_BINDING)
    if not isinstance(expected, str):
        return False
    try:
        cookie_key = _decode(cookie_value)
    except VaultLocked:
        return False
    return hmac.compare_digest(_binding(cookie_key, user.pk), expected)


def lock_console(request: HttpRequest) -> None:
    """Forget the console key: drop the session half and expire the cookie half."""
    if hasattr(request, "session"):
        request.session.pop(SESSION_KEY, None)
        request.session.pop(SESSION_BINDING, None)
    setattr(request, _CACHED_KEYRING, None)
    setattr(request, _DELETE_COOKIE, True)


def officer_keyring(request: HttpRequest) -> Keyring:
    """Return the keyring of the verified staff member of this request.

    Raises ``VaultLocked`` when the second factor is not verified or either half (session or cookie) is
    missing or does not fit the other.
    """
    cached = getattr(request, _CACHED_KEYRING, None)
    if isinstance(cached, Keyring):
        return cached
    user = getattr(request, "user", None)
    if not isinstance(user, get_user_model()) or not is_verified(user) or not may_hold_case_keys(user):
        raise VaultLocked()
    blob_text = request.session.get(SESSION_KEY)
    cookie_value = _cookie_value(request)
    if not blob_text or not cookie_value:
        raise VaultLocked()
    try:
        private_key = formats.key_unwrap(_decode(cookie_value), _decode_blob(blob_text), context=_context(user.pk))
    except formats.FormatError as exc:
        raise VaultLocked() from exc
    keyring = Keyring(user=user, _private_key=private_key)
    setattr(request, _CACHED_KEYRING, keyring)
    return keyring


def _decode_blob(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise VaultLocked() from exc


def escrow_keyring(request: HttpRequest) -> EscrowKeyring:
    """Return the escrow keyring of the verified escrow holder of this request.

    Raises ``VaultLocked`` as ``officer_keyring`` does, and ``AccessDenied`` for staff who hold no share.
    """
    return escrow_keyring_for(keyring=officer_keyring(request))


def cookie_to_set(request: HttpRequest) -> str | None:
    """Return the cookie value ``unlock_console`` chose in this request, if any (for the middleware)."""
    value = getattr(request, _SET_COOKIE, None)
    return value if isinstance(value, str) else None


def cookie_to_delete(request: HttpRequest) -> bool:
    """Return True when the console cookie must be expired in this response."""
    if getattr(request, _DELETE_COOKIE, False):
        return True
    # A cookie whose session half is gone (expired, logged out elsewhere) is useless: clean it up.
    session = getattr(request, "session", None)
    return bool(_cookie_value(request) and session is not None and not session.get(SESSION_BINDING))
