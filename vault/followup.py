"""The reporter's follow-up session: one cookie, no Django session.

The cookie holds 32 random bytes. The server keeps a row found by a hash of them, holding the report id and
data key wrapped under another key derived from them: without the cookie the row is useless, and nothing in
it says which report it belongs to. Sessions end after ``VAULT_FOLLOWUP_TTL`` (15 minutes) without use.
"""

from __future__ import annotations

import base64
import binascii
import uuid

from django.db import transaction
from django.utils import timezone

from vault import conf, crypto, formats
from vault.access import ReporterAccess
from vault.exceptions import FollowupExpired
from vault.models import FollowupSession

FOLLOWUP_COOKIE = "peluit_followup"
_TOKEN_BYTES = 32


def _keys(cookie_value: str) -> tuple[bytes, bytes]:
    try:
        token = base64.urlsafe_b64decode(cookie_value + "=" * (-len(cookie_value) % 4))
    except (binascii.Error, ValueError, TypeError) as exc:
        raise FollowupExpired() from exc
    if len(token) != _TOKEN_BYTES:
        raise FollowupExpired()
    return crypto.derive_key(token, label=b"peluit-fup-look"), crypto.derive_key(token, label=b"peluit-fup-key")


def _context(lookup_id: bytes) -> bytes:
    return b"followup:" + lookup_id


def purge_expired_followups() -> int:
    """Delete expired follow-up rows (each still holds a wrapped data key); return how many."""
    deleted, _by_model = FollowupSession.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


@transaction.atomic
def followup_begin(*, access: ReporterAccess) -> str:
    """Start a follow-up session for the reporter and return the cookie value (43 URL-safe characters)."""
    purge_expired_followups()
    token = crypto.random_bytes(_TOKEN_BYTES)
    cookie_value = base64.urlsafe_b64encode(token).decode("ascii").rstrip("=")
    lookup_id, key = _keys(cookie_value)
    payload = access.report_id.bytes + access._data_key
    FollowupSession.objects.create(
        lookup_id=lookup_id,
        wrapped_access=formats.key_wrap(key, payload, context=_context(lookup_id)),
        expires_at=timezone.now() + conf.FOLLOWUP_TTL,
    )
    return cookie_value


@transaction.atomic
def followup_resume(*, cookie_value: str) -> ReporterAccess:
    """Return the reporter's access for a live session cookie and extend the session.

    Raises ``FollowupExpired`` for an expired, ended or forged cookie.
    """
    lookup_id, key = _keys(cookie_value)
    now = timezone.now()
    row = FollowupSession.objects.select_for_update().filter(lookup_id=lookup_id, expires_at__gt=now).first()
    if row is None:
        raise FollowupExpired()
    try:
        payload = formats.key_unwrap(key, bytes(row.wrapped_access), context=_context(lookup_id))
    except formats.FormatError as exc:
        raise FollowupExpired() from exc
    row.expires_at = now + conf.FOLLOWUP_TTL
    row.save(update_fields=["expires_at"])
    return ReporterAccess(report_id=uuid.UUID(bytes=payload[:16]), _data_key=payload[16:])


@transaction.atomic
def followup_end(*, cookie_value: str) -> None:
    """End the follow-up session of this cookie (logout); unknown or malformed cookies are ignored."""
    try:
        lookup_id, _key = _keys(cookie_value)
    except FollowupExpired:
        return
    FollowupSession.objects.filter(lookup_id=lookup_id).delete()
