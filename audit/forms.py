"""The auditor view's filter form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from audit.actions import Action
from audit.models import ActorKind
from audit.selectors import staff_actors


class EventFilterForm(forms.Form):
    """Filter the audit log by period, actor, action and case."""

    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    actor = forms.ChoiceField(label=_("Actor"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)
    case_ref = forms.RegexField(
        label=_("Case"),
        required=False,
        max_length=64,
        regex=r"^[A-Za-z0-9._:/-]*$",
        strip=True,
        error_messages={"invalid": _("Enter a case number such as WBS-2026-000123.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actors: list[tuple[str, str]] = [("", str(_("Anyone")))]
        actors += [(ActorKind.REPORTER.value, str(ActorKind.REPORTER.label))]
        actors += [(ActorKind.SYSTEM.value, str(ActorKind.SYSTEM.label))]
        actors += [(f"staff:{staff_id}", f"{name} (#{staff_id})") for staff_id, name in staff_actors()]
        self.fields["actor"].choices = actors  # type: ignore[attr-defined]
        self.fields["action"].choices = [("", _("Any action")), *Action.choices]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        """Reject a period that ends before it starts."""
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end of the period is before its start."))
        return cleaned
