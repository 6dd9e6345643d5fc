"""Staff accounts: the inspectorate's people who log in to the console. Reporters never have accounts."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from casework.staff.roles import Role


class StaffUser(AbstractUser):
    """A member of the inspectorate's staff. Reporters never have accounts."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.OFFICER)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        # casework.staff.roles.MANAGE_STAFF
        permissions = [("manage_staff", _("Can manage staff accounts"))]

    def __str__(self) -> str:
        return self.get_full_name() or self.username
