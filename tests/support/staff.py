"""Staff fixtures: factories, TOTP codes computed at test time, and a login helper."""

from __future__ import annotations

import time

import factory
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.models import StaffUser
from casework.staff import services
from casework.staff.roles import Role

PASSWORD = "correct horse battery staple"


def totp_code(device: TOTPDevice, *, offset_steps: int = 0, at: float | None = None) -> str:
    """Return the TOTP code the device expects now (or ``offset_steps`` steps away)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = (at if at is not None else time.time()) + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


class StaffFactory(factory.Factory):
    """Build staff through the real service (validated password, confirmed TOTP device)."""

    class Meta:
        model = StaffUser

    username = factory.Sequence(lambda n: f"staff{n}")
    role = Role.OFFICER

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: object) -> StaffUser:
        with_totp = bool(kwargs.pop("with_totp", True))
        password = str(kwargs.pop("password", PASSWORD))
        created = services.staff_create(
            username=str(kwargs["username"]), role=str(kwargs["role"]), password=password, with_totp=with_totp
        )
        return created.user


def login(client: Client, user: StaffUser, *, password: str = PASSWORD, offset_steps: int = 0) -> None:
    """Log ``user`` in through both real steps; fail the test loudly if either step is refused."""
    response = client.post("/auth/login/", {"username": user.username, "password": password})
    assert response.status_code == 302, response.content[:500]
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    response = client.post("/auth/verify/", {"code": totp_code(device, offset_steps=offset_steps)})
    assert response.status_code == 302 and "/auth/" not in response["Location"], response.content[:500]
