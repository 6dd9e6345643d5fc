"""Second factor: TOTP devices, backup codes and verification (django-otp underneath)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import segno
from django.db import transaction
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.actions import Action
from audit.services import record as audit_record
from casework.staff.models import StaffUser
from vault.permissions import is_verified

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup"


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of checking a code: the device that matched, or why none did."""

    device: TOTPDevice | StaticDevice | None
    throttled_seconds: int = 0


def is_verified_staff(user: Any) -> bool:
    """Return True when the user passed both the password and a second factor in this session."""
    return is_verified(user)


def totp_secret_base32(device: TOTPDevice) -> str:
    """Return the device secret in the base32 form authenticators and ``oathtool -b`` accept."""
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def otpauth_uri(device: TOTPDevice) -> str:
    """Return the ``otpauth://totp/...`` URI for the device."""
    return str(device.config_url)


def qr_svg(device: TOTPDevice) -> str:
    """Return an inline SVG QR code of the device's otpauth URI (no external request, no script)."""
    return str(segno.make(otpauth_uri(device), error="m").svg_inline(scale=4, omitsize=True))


def confirmed_totp(user: StaffUser) -> TOTPDevice | None:
    """Return the user's confirmed TOTP device, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_totp(user: StaffUser) -> TOTPDevice:
    """Return the user's unconfirmed TOTP device for enrolment, creating it on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def create_confirmed_totp(user: StaffUser) -> TOTPDevice:
    """Replace the user's TOTP devices with a fresh confirmed one (used by ``add_staff``)."""
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True)


@transaction.atomic
def issue_backup_codes(user: StaffUser) -> list[str]:
    """Replace the user's backup codes with ten new one-time codes and return them (shown once)."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    audit_record(action=Action.BACKUP_CODES_ISSUED, actor=user, details={"count": len(codes)})
    return codes


def remaining_backup_codes(user: StaffUser) -> int:
    """Return how many unused backup codes the user has left."""
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def verify_code(user: StaffUser, code: str) -> VerifyResult:
    """Check a TOTP or backup code against the user's confirmed devices.

    A TOTP code is accepted once only (django-otp remembers the last time step), a backup code is
    consumed, and every failure makes the device wait longer before the next try.
    """
    code = "".join(code.split())
    wait = 0
    for device in devices_for_user(user, confirmed=True):
        # Try each device only with a code of its shape: a backup code is no failed TOTP attempt (which
        # would slow the authenticator down), and backup codes are accepted whatever their case.
        if isinstance(device, TOTPDevice) and not (code.isdigit() and len(code) <= device.digits):
            continue
        allowed, details = device.verify_is_allowed()
        if not allowed:
            locked_until = (details or {}).get("locked_until")
            if locked_until is not None:
                from django.utils import timezone

                wait = max(wait, int((locked_until - timezone.now()).total_seconds()) + 1)
            continue
        if device.verify_token(code.lower() if isinstance(device, StaticDevice) else code):
            return VerifyResult(device=device)
    return VerifyResult(device=None, throttled_seconds=wait)


def remove_devices(user: StaffUser) -> None:
    """Delete every TOTP device and backup code of the user (they enrol again at next login)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def confirm_enrolment(device: TOTPDevice, code: str) -> bool:
    """Confirm an enrolling TOTP device when ``code`` matches; return whether it did."""
    allowed, _details = device.verify_is_allowed()
    if not allowed or not device.verify_token("".join(code.split())):
        return False
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=device.user, confirmed=False).exclude(pk=device.pk).delete()
        audit_record(action=Action.TOTP_ENROLLED, actor=device.user)
    return True
