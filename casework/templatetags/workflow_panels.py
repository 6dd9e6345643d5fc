"""The case page's lifecycle panels as an inclusion tag: ``casework.cases`` renders the page and knows
nothing of ``casework.workflow``; its template includes ``casework/_case_workflow.html``, which calls this."""

from __future__ import annotations

from typing import Any

from django import template

from casework.workflow.calendar import rule_codes
from casework.workflow.forms import ClockStartForm
from casework.workflow.selectors import case_workflow, rule_descriptions
from vault import services as vault
from vault.exceptions import VaultLocked

register = template.Library()


@register.inclusion_tag("casework/workflow/_panels.html", takes_context=True)
def case_workflow_panels(context: Any) -> dict[str, Any]:
    """Render status, clocks, triage, the gratification steps, history and retention of ``case``."""
    request = context["request"]
    case = context["case"]
    try:
        access: vault.Access | None = vault.officer_keyring(request)
    except VaultLocked:
        access = None
    # The page's view opened the case (``opened``) with the user's own key to it: they hold it.
    holds = True if context.get("opened") is not None else None
    descriptions = rule_descriptions()
    return {
        "wf": case_workflow(case=case, user=request.user, access=access, holds=holds),
        "case": case,
        "descriptions": descriptions,
        # The codes of the rules table are the descriptions' keys (one query); an empty table means the seed.
        "clock_form": ClockStartForm(codes=sorted(descriptions) or sorted(rule_codes())),
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
