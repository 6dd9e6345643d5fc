import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger(__name__)


def _share_kdf_slots_with_host(slots: int) -> None:
    """Bound Argon2id derivations across every process on this machine (see vault/host_slots.py).

    Each process keeps its own bound (``PELUIT_KDF_CONCURRENCY``) too; if the kernel refuses the shared
    semaphore, that bound alone applies and the refusal is logged.
    """
    from vault import crypto
    from vault.host_slots import HostSlots, HostSlotsUnavailable

    try:
        host = HostSlots(str(settings.VAR_DIR), slots)
    except (HostSlotsUnavailable, ValueError) as exc:
        logger.warning("Argon2id host slots not shared (%s); each process bounds its own derivations", exc)
        return
    crypto.KDF_GATE.share_with_host(host)


class VaultConfig(AppConfig):
    """The vault: every key and every ciphertext of Peluit."""

    name = "vault"
    verbose_name = "Vault"

    def ready(self) -> None:
        """Register the vault's system checks; size the queue of Argon2id derivations."""
        from vault import (
            checks,  # noqa: F401 - registers the system checks
            conf,
            crypto,
        )

        crypto.KDF_GATE.set_limit(conf.kdf_concurrency())
        slots = conf.kdf_host_slots()
        if slots:
            _share_kdf_slots_with_host(slots)
