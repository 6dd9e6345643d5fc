"""Vault settings: defaults overlaid by ``django.conf.settings`` (the django-otp pattern).

``VAULT_KDF_PROFILE`` (from the environment variable ``PELUIT_KDF_PROFILE``) picks the Argon2id costs:
``production`` (the default) or ``test`` (the libsodium minimum, for the test suite only). The costs are
recorded in every stored blob, so changing the profile never makes old data unreadable.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from vault.formats import KdfParams

MIB = 1024 * 1024

KDF_PROFILES: dict[str, dict[str, KdfParams]] = {
    "production": {
        # Console login: once per session, by a handful of staff. About 0.5 s on one core.
        "officer": KdfParams(ops=3, mem=256 * MIB),
        # Reporter receipt: public, so cheaper to bound memory under load (libsodium "interactive").
        "receipt": KdfParams(ops=2, mem=64 * MIB),
        # Printed escrow recovery code: rarely used, high-value.
        "recovery": KdfParams(ops=4, mem=256 * MIB),
    },
    "test": {
        "officer": KdfParams(ops=1, mem=8 * 1024),
        "receipt": KdfParams(ops=1, mem=8 * 1024),
        "recovery": KdfParams(ops=1, mem=8 * 1024),
    },
}


def kdf_profile_name() -> str:
    """Return the active KDF profile name."""
    return str(getattr(settings, "VAULT_KDF_PROFILE", "production"))


def kdf_params(purpose: str) -> KdfParams:
    """Return the Argon2id costs for new blobs of ``purpose`` (officer, receipt, recovery)."""
    return KDF_PROFILES[kdf_profile_name()][purpose]


def kdf_concurrency() -> int:
    """Return how many Argon2id derivations may run at once per process (``PELUIT_KDF_CONCURRENCY``)."""
    return max(1, int(getattr(settings, "VAULT_KDF_CONCURRENCY", 1)))


def kdf_host_slots() -> int:
    """Return how many Argon2id derivations may run at once on this machine (``PELUIT_KDF_HOST_SLOTS``; 0: no bound)."""
    return max(0, int(getattr(settings, "VAULT_KDF_HOST_SLOTS", 0)))


def pepper() -> str:
    """Return the server pepper (``PELUIT_PEPPER``), which never enters the database."""
    return str(settings.PELUIT_PEPPER)


CONSOLE_COOKIE: str = getattr(settings, "VAULT_CONSOLE_COOKIE", "peluit_vault")
FOLLOWUP_TTL: timedelta = getattr(settings, "VAULT_FOLLOWUP_TTL", timedelta(minutes=15))
ATTACHMENT_PREFIX: str = getattr(settings, "VAULT_ATTACHMENT_PREFIX", "vault")
# Files held for a reporter across a form error (vault/held.py): where, and for how long.
HELD_PREFIX: str = getattr(settings, "VAULT_HELD_PREFIX", "held")
HELD_TTL: timedelta = getattr(settings, "VAULT_HELD_TTL", timedelta(hours=1))
# The model ("app_label.Model") whose primary key is the report id and whose ``number`` names the case in the
# audit log, as AUTH_USER_MODEL names the user model; without it the audit log names the report id.
REPORT_MODEL: str = getattr(settings, "VAULT_REPORT_MODEL", "")

# Receipt costs used before the current profile; lookups try these too (always all, so the time spent does
# not depend on which one matches). Append the old value here when changing the receipt profile.
RECEIPT_KDF_HISTORY: list[KdfParams] = []
