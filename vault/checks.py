"""System checks of the vault's configuration."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Warning, register

from vault import conf


@register()
def check_kdf_profile(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Refuse an unknown Argon2id profile; warn when the test-only profile is active."""
    name = conf.kdf_profile_name()
    if name not in conf.KDF_PROFILES:
        return [
            Error(
                f"PELUIT_KDF_PROFILE={name!r} is not a vault KDF profile.",
                hint=f"Use one of: {', '.join(sorted(conf.KDF_PROFILES))}.",
                id="vault.E001",
            )
        ]
    if name == "test":
        return [
            Warning(
                "The vault uses the test-only Argon2id profile: passwords and receipts are cheap to guess.",
                hint="Unset PELUIT_KDF_PROFILE outside the test suite.",
                id="vault.W001",
            )
        ]
    return []
