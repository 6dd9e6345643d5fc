"""The report content as officers read it: field by field, labelled with the intake forms' own labels.

The sealed content is the cleaned form data (``intake.services``), keyed by form field name, so the labels
and choice names come from the same form classes the reporter filled in; nothing is duplicated here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _

from casework.models import CaseKind
from intake.forms import GratificationReportForm, ReportForm, WbsReportForm

FORMS: dict[CaseKind, type[ReportForm]] = {
    CaseKind.WBS: WbsReportForm,
    CaseKind.GRATIFICATION: GratificationReportForm,
}
# Form fields that never hold report content (files are listed separately; identity is sealed apart).
SKIPPED = frozenset({"attachments", "exclude_recipients", "submission_token"})


@dataclass(frozen=True)
class ContentField:
    """One field of the report as the officer reads it: the intake form's label and a display value."""

    name: str
    label: str
    value: str
    long: bool


def _display(field: forms.Field | None, value: Any) -> str:
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, Mapping):
        return str(value.get("name") or value.get("code") or "")
    if isinstance(value, list | tuple):
        return ", ".join(_display(field, item) for item in value)
    if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
        pairs: Any = field.choices
        choices = {str(key): label for key, label in pairs if not isinstance(label, list | tuple)}
        if str(value) in choices:
            return str(choices[str(value)])
    if isinstance(field, forms.DateField) and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d-%m-%Y")
        except ValueError:
            return value
    return str(value)


def content_fields(kind: CaseKind, content: Mapping[str, Any]) -> list[ContentField]:
    """Return the filled-in fields of ``content`` in the form's order, with the form's (translated) labels.

    Keys the form does not know (older or newer forms) are shown under their key, so nothing is hidden.
    """
    form_class = FORMS[kind]
    fields = form_class.base_fields
    order = [name for _title, names in form_class.sections for name in names]
    order += [name for name in content if name not in order and name != "language"]
    rows = []
    for name in order:
        if name in SKIPPED or name in form_class.identity_fields or name not in content:
            continue
        value = content[name]
        if value in (None, "", [], {}):
            continue
        field = fields.get(name)
        label = str(field.label) if field is not None and field.label else name
        long = field is not None and isinstance(field.widget, forms.Textarea)
        rows.append(ContentField(name=name, label=label, value=_display(field, value), long=long))
    language = content.get("language")
    if language:
        names = dict(settings.LANGUAGES)
        rows.append(
            ContentField(
                name="language",
                label=_("Language of the report"),
                value=str(names[language]) if language in names else str(language),
                long=False,
            )
        )
    return rows
