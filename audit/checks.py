"""System checks of the audit log's configuration: the signer strategy, the witness keys, reporter times."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from audit import clock, signing


@register()
def check_signer(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Refuse a checkpoint signer strategy that cannot be imported or lacks a member the log uses."""
    try:
        cls = signing.signer_class()
    except ImportError as error:
        return [Error(f"PELUIT_CHECKPOINT_SIGNER cannot be imported: {error}", id="audit.E001")]
    missing = [name for name in ("from_secret", "public_key", "sign", "verify") if not hasattr(cls, name)]
    if missing:
        return [Error(f"PELUIT_CHECKPOINT_SIGNER lacks {', '.join(missing)}", id="audit.E001")]
    return []


@register()
def check_witnesses(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Refuse witness keys that are not Ed25519 cosigner verifier keys (type 0x04)."""
    try:
        signing.configured_witnesses(strict=True)
    except signing.VerifierKeyError as error:
        return [
            Error(
                f"PELUIT_AUDIT_WITNESSES holds a key that is not a cosigner verifier key: {error}",
                hint="Use the key a witness prints with `manage.py audit_witness --vkey`.",
                id="audit.E002",
            )
        ]
    return []


@register()
def check_reporter_time_granularity(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Refuse a reporter time granularity the rounding cannot keep on the same local date."""
    if not clock.valid_granularity(clock.granularity()):
        return [
            Error(
                f"PELUIT_REPORTER_TIME_GRANULARITY={clock.granularity()} does not divide a day.",
                hint="Use a divisor of 86400 seconds, e.g. 3600 (one hour, the default) or 86400 (one day).",
                id="audit.E003",
            )
        ]
    return []
