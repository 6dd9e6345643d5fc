from django.apps import AppConfig


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
