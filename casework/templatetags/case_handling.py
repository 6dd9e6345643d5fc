"""The case page's handling panels (team, disclosure, links, notes, timeline) as one inclusion tag.

The case page's view belongs to ``casework.cases``, which must not import ``casework.handling`` (the layers
run handling -> cases -> staff -> rules). The page's template includes ``casework/_case_handling.html``, whose
tag reads the panels through ``casework.handling.selectors`` with the keyring of the same request (already
audited by the page's own opening of the case), so the view needs no change and the layers hold.
"""

from __future__ import annotations

from typing import Any

from django import template

from casework.handling import selectors
from casework.handling.forms import (
    AssignForm,
    ConfirmConflictForm,
    DisclosureRequestForm,
    LinkForm,
    NoteForm,
)
from vault import services as vault
from vault.exceptions import AccessDenied, CorruptCiphertext, VaultLocked

register = template.Library()


@register.inclusion_tag("casework/_handling_panels.html", takes_context=True)
def case_handling_panels(context: template.Context) -> dict[str, Any]:
    """Return the context of the handling panels of the page's case (nothing when it cannot be opened)."""
    request, case, opened = context.get("request"), context.get("case"), context.get("opened")
    base = {"case": case, "csrf_token": context.get("csrf_token"), "request": request}
    if request is None or case is None or opened is None:
        return {**base, "panels": None}
    try:
        panels = selectors.handling_panels(keyring=vault.officer_keyring(request), case=case, thread=opened.thread)
    except (VaultLocked, AccessDenied, CorruptCiphertext):
        return {**base, "panels": None}
    return {
        **base,
        "panels": panels,
        "assign_form": AssignForm(queryset=panels.assignable) if panels.assignable is not None else None,
        "conflict_form": ConfirmConflictForm(),
        "note_form": NoteForm(),
        "link_form": LinkForm(),
        "disclosure_form": DisclosureRequestForm() if panels.may_request_disclosure else None,
    }
