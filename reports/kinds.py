"""The export kinds. Their values are a contract: ``manage.py export_report KIND`` and stored exports use them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportKind(models.TextChoices):
    """What a signed PDF export holds."""

    RECAP = "recap", _("Statistical recapitulation")
    AUDIT_TRAIL = "audit-trail", _("Audit trail")
    DOSSIER = "dossier", _("Case dossier")
    KPK_FORWARDING = "kpk-forwarding", _("Gratification reports for the KPK")
    FORWARDING = "forwarding", _("Forwarding package")
    ANNUAL = "annual", _("Annual transparency report")
    SERVICE_STANDARD = "service-standard", _("Service standard")


# Kinds whose PDF holds sealed report content: rendered in the officer's own request with their keyring, never
# through the broker, and never stored.
CONTENT_KINDS = frozenset({ExportKind.DOSSIER, ExportKind.KPK_FORWARDING, ExportKind.FORWARDING})
# Kinds meant for the public: they embed the audit log's latest published checkpoint and sign none, so neither
# their checkpoint nor the moment one was signed says when reports came in (audit/publication.py).
PUBLIC_KINDS = frozenset({ExportKind.ANNUAL, ExportKind.SERVICE_STANDARD})
# Kinds made by a Celery task on the ``reports`` queue and kept for their requester to download.
BACKGROUND_KINDS = frozenset({ExportKind.RECAP, ExportKind.AUDIT_TRAIL, ExportKind.ANNUAL})
# Kinds about one case (``--case``); the others cover a period.
CASE_KINDS = frozenset({ExportKind.DOSSIER, ExportKind.FORWARDING})


class Authority(models.TextChoices):
    """Who a forwarding package is sent to."""

    KPK = "kpk", _("KPK (Corruption Eradication Commission)")
    KEJAKSAAN = "kejaksaan", _("Kejaksaan (Public Prosecution Service)")
    POLRI = "polri", _("Polri (National Police)")
    APIP = "apip", _("APIP (another government internal auditor)")


def parse_kind(value: str) -> ExportKind:
    """Return the kind named ``value``; raise ``ReportInputError`` naming the known kinds otherwise."""
    from reports.exceptions import ReportInputError

    try:
        return ExportKind(value)
    except ValueError:
        known = ", ".join(k.value for k in ExportKind)
        raise ReportInputError(
            _("Unknown report kind %(kind)r; the kinds are: %(known)s.") % {"kind": value, "known": known}
        ) from None
