"""Staff accounts and reference data of the console."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from casework.roles import Role


class StaffUser(AbstractUser):
    """A member of the inspectorate's staff. Reporters never have accounts."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.OFFICER)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Organisation(models.Model):
    """A unit of the city government (OPD, kecamatan, badan ...) that a report or gift may concern."""

    class Kind(models.TextChoices):
        KECAMATAN = "kecamatan", _("District (kecamatan)")
        BADAN = "badan", _("Agency (badan)")
        DINAS = "dinas", _("Department (dinas)")
        LAINNYA = "lainnya", _("Other unit")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name
