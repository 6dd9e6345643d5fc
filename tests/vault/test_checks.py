"""The vault's system checks."""

from __future__ import annotations

import pytest

from vault.checks import check_kdf_profile


@pytest.mark.parametrize(("profile", "ids"), [("production", []), ("test", ["vault.W001"]), ("fast", ["vault.E001"])])
def test_kdf_profile_check(profile: str, ids: list[str], settings: pytest.FixtureRequest) -> None:
    settings.VAULT_KDF_PROFILE = profile  # type: ignore[attr-defined]
    assert [message.id for message in check_kdf_profile()] == ids
