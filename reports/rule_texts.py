"""Words for the deadline rules on public pages and in PDFs: what each limit is about, in the reader's language.

The rules themselves (how many working days, from when) are data (``casework.DeadlineRule``); only their
names live here. A rule the inspectorate adds later is shown with its own description from the table.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy, ngettext

from casework.workflow.selectors import rule_descriptions

RULE_NAMES = {
    "ADUAN_TIDAK_BERKADAR": gettext_lazy("Answer to a report that needs no examination"),
    "ADUAN_BERKADAR": gettext_lazy("Handling of a report that needs an examination"),
    "GRAT_LAPOR_KPK": gettext_lazy("A received gift reaches the KPK (counted from the day it was received)"),
    "GRAT_LAPOR_UPG": gettext_lazy("The recipient reports the gift to the UPG"),
    "GRAT_UPG_TERUSKAN": gettext_lazy("The UPG forwards the report to the KPK"),
    "GRAT_LENGKAPI": gettext_lazy("The reporter completes a gratification report"),
    "KPK_PENETAPAN": gettext_lazy("The KPK decides who owns the gift"),
    "SK_KIRIM": gettext_lazy("The KPK decision reaches the recipient"),
    "PDP_BREACH": gettext_lazy("Notice of a personal data breach"),
}


def rule_label(code: str) -> str:
    """Return what deadline rule ``code`` is about, in the active language (its table description if unknown)."""
    name = RULE_NAMES.get(code)
    if name is not None:
        return str(name)
    return rule_descriptions().get(code) or code


def amount_text(amount: int, unit: str) -> str:
    """Return "14 working days" or "72 hours" in the active language."""
    if unit == "hours":
        return ngettext("%(n)s hour", "%(n)s hours", amount) % {"n": amount}
    return ngettext("%(n)s working day", "%(n)s working days", amount) % {"n": amount}
