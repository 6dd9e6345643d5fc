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


class ConsoleDenialWindow(models.Model):
    """How often one staff member was refused one console page (and case) in the current window.

    Bookkeeping for coalescing the audit events of denied console requests (``casework.staff.denials``): the
    events themselves are in the audit log; this row only decides whether the next denial writes one.
    """

    staff = models.ForeignKey(StaffUser, on_delete=models.CASCADE, related_name="+")
    route = models.CharField(max_length=100)
    reason = models.CharField(max_length=32)
    case_ref = models.CharField(max_length=64, blank=True)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["staff", "route", "reason", "case_ref"], name="console_denial_window_key")
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.route} {self.reason} {self.case_ref}: {self.count}"
