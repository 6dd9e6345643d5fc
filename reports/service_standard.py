"""The public-service standard (standar pelayanan) of the two services, built from the rules the clocks use.

The components follow the standard's list (legal basis, requirements, procedure, time limits, fee, product,
complaints channel, guarantees). The time limits are read from the deadline rules in force today
(``casework.workflow.calendar.rule_for``, the same function that starts every clock), so the published limits
are the enforced ones. The service pledge (maklumat pelayanan) comes from ``PELUIT_SERVICE_PLEDGE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.models import CaseKind
from casework.workflow.calendar import rule_for
from reports.rule_texts import amount_text, rule_label

# The rules each service promises, in the order a reporter meets them.
SERVICE_RULES: dict[str, tuple[str, ...]] = {
    CaseKind.WBS: ("ADUAN_TIDAK_BERKADAR", "ADUAN_BERKADAR"),
    CaseKind.GRATIFICATION: (
        "GRAT_LAPOR_UPG",
        "GRAT_LAPOR_KPK",
        "GRAT_UPG_TERUSKAN",
        "GRAT_LENGKAPI",
        "KPK_PENETAPAN",
        "SK_KIRIM",
    ),
}


@dataclass(frozen=True)
class TimeLimit:
    """One published time limit: what it is about and its length, as in force on the standard's day."""

    code: str
    label: str
    amount: int
    unit: str
    text: str


@dataclass(frozen=True)
class ServiceStandard:
    """The standard of one service: every component as text or a list of texts."""

    kind: str
    name: str
    legal_basis: tuple[str, ...]
    requirements: tuple[str, ...]
    procedure: tuple[str, ...]
    time_limits: tuple[TimeLimit, ...]
    fee: str
    product: tuple[str, ...]
    complaints: tuple[str, ...]
    guarantees: tuple[str, ...]


def time_limits(kind: str, *, on: date | None = None) -> tuple[TimeLimit, ...]:
    """Return the time limits of service ``kind`` in force on ``on`` (today), from the deadline rules."""
    on = on or timezone.localdate()
    limits = []
    for code in SERVICE_RULES[kind]:
        try:
            rule = rule_for(code, on=on)
        except KeyError:
            continue  # a rule not in force is not promised
        limits.append(TimeLimit(code, rule_label(code), rule.amount, rule.unit, amount_text(rule.amount, rule.unit)))
    return tuple(limits)


def _complaints() -> tuple[str, ...]:
    return (
        _("Web: this site, “Follow my report” (receipt number), without an account"),
        _("Telephone / SMS / WhatsApp: %(phone)s") % {"phone": settings.PELUIT_INSTITUTION_PHONE},
        _("E-mail: %(email)s") % {"email": settings.PELUIT_INSTITUTION_EMAIL},
        _("In person: %(address)s") % {"address": settings.PELUIT_INSTITUTION_ADDRESS},
    )


def _guarantees() -> tuple[str, ...]:
    return (
        _("Reports and files are encrypted before they are stored; only the officers handling a report can open it."),
        _("No IP address, browser or device details of reporters are recorded; files are cleaned of metadata."),
        _("A reporter's identity is optional for violation reports, sealed apart, and never revealed without consent."),
        _("Good-faith reporters are protected by law (UU 31/2014 Article 10; Perwali Semarang 10/2019)."),
        _("Every step on a report is written to a tamper-evident audit log with signed checkpoints."),
    )


def wbs_standard(*, on: date | None = None) -> ServiceStandard:
    """Return the standard of the whistleblowing service."""
    return ServiceStandard(
        kind=CaseKind.WBS,
        name=_("Whistleblowing System (WBS): reports of violations"),
        legal_basis=(
            "UU 31/2014 " + _("on the protection of witnesses and victims (Article 10)"),
            "UU 25/2009 " + _("on public services"),
            "PP 43/2018 " + _("on public participation in preventing and eradicating corruption"),
            "SE MenPANRB 08/M.PAN-RB/06/2012 " + _("on the whistleblowing system"),
            "Perwali Semarang 10/2019 " + _("on handling complaints of corruption in the city government"),
            "Permenpan RB 14/2017 " + _("on the community satisfaction survey"),
        ),
        requirements=(
            _("No account and no name needed; identity is optional."),
            _("What happened, who was involved, where and when (5W1H), and how it was done."),
            _("Initial evidence where available (documents, photos, recordings)."),
        ),
        procedure=(
            _("Send the report on the web form or the JSON API and keep the 16-digit receipt."),
            _("The inspectorate checks the report and may ask for more in the follow-up inbox."),
            _("The report is analysed; one that needs an examination is examined."),
            _("The outcome is given in the follow-up inbox; the reporter may then answer the satisfaction survey."),
        ),
        time_limits=time_limits(CaseKind.WBS, on=on),
        fee=_("None: the service is free of charge."),
        product=(
            _("A receipt number for following the report."),
            _("Answers and the outcome of the handling in the follow-up inbox."),
        ),
        complaints=_complaints(),
        guarantees=_guarantees(),
    )


def gratification_standard(*, on: date | None = None) -> ServiceStandard:
    """Return the standard of the gratification reporting service."""
    return ServiceStandard(
        kind=CaseKind.GRATIFICATION,
        name=_("Gratification reporting (Lopis Semar)"),
        legal_basis=(
            "UU 20/2001 " + _("on corruption (Articles 12B and 12C)"),
            "UU 25/2009 " + _("on public services"),
            "Peraturan KPK 2/2019 " + _("as amended by Peraturan KPK 1/2026, on gratification reporting"),
            "Permenpan RB 14/2017 " + _("on the community satisfaction survey"),
        ),
        requirements=(
            _("The recipient's identity and office, the giver and the relation to the office."),
            _("What was given, its estimated value, when and where, or the refusal."),
            _("A photo or document of the gift where available."),
        ),
        procedure=(
            _("The recipient reports the gift or the refusal on the web form and keeps the receipt."),
            _("The UPG checks the report, asks for what is missing and receives the gift where needed."),
            _("The UPG forwards the report to the KPK."),
            _("The KPK decides who owns the gift; the decision is given in the follow-up inbox."),
        ),
        time_limits=time_limits(CaseKind.GRATIFICATION, on=on),
        fee=_("None: the service is free of charge."),
        product=(
            _("A receipt number for following the report."),
            _("The KPK's decision (SK) on the gift, passed on to the recipient."),
        ),
        complaints=_complaints(),
        guarantees=_guarantees(),
    )


def service_standards(*, on: date | None = None) -> list[ServiceStandard]:
    """Return the standards of both services."""
    return [wbs_standard(on=on), gratification_standard(on=on)]


def service_pledge() -> str:
    """Return the service pledge (maklumat pelayanan): ``PELUIT_SERVICE_PLEDGE``, else the default text."""
    text = str(getattr(settings, "PELUIT_SERVICE_PLEDGE", "") or "").strip()
    if text:
        return text
    return _(
        "We pledge to provide the services according to the service standard that has been set, and to accept "
        "sanctions in accordance with the laws and regulations if we do not."
    )
