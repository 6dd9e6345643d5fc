"""The report fields' labels, choices and sections live once, with the case content; the intake forms use them."""

from __future__ import annotations

import pytest
from django import forms
from django.utils import translation

from casework.cases.content import LAYOUTS, NOT_CONTENT, ReportLayout, content_fields, split_report_data
from casework.models import CaseKind
from intake.forms import GratificationReportForm, ReportForm, WbsReportForm

FORMS: dict[CaseKind, type[ReportForm]] = {CaseKind.WBS: WbsReportForm, CaseKind.GRATIFICATION: GratificationReportForm}


@pytest.mark.parametrize("kind", list(CaseKind))
def test_the_intake_forms_take_labels_choices_and_sections_from_the_content(kind: CaseKind) -> None:
    layout: ReportLayout = LAYOUTS[kind]
    form_class = FORMS[kind]
    assert form_class.sections is layout.sections
    assert tuple(form_class.identity_fields) == tuple(layout.identity_fields)
    content_names = {name for name in form_class.base_fields if name not in NOT_CONTENT}
    assert content_names == set(layout.fields)  # every report field has its words here, and nothing else
    for name, spec in layout.fields.items():
        field = form_class.base_fields[name]
        assert field.label is spec.label, name
        assert isinstance(field.widget, forms.Textarea) == spec.long, name
        assert isinstance(field, forms.DateField) == spec.date, name
        if spec.choices:
            assert isinstance(field, forms.ChoiceField)
            offered = [(key, label) for key, label in field.choices if key != ""]  # type: ignore[misc]
            assert offered == list(spec.choices), name


def test_officers_read_the_same_words_the_reporter_saw() -> None:
    content, identity = split_report_data(
        {
            "title": "Pungli KTP",
            "violation_type": "pungli",
            "when_date": "2026-03-02",
            "reported_elsewhere": False,
            "identity_name": "Siti",
            "attachments": ["x"],
            "submission_token": "t",
        }
    )
    assert identity == {"name": "Siti"} and "attachments" not in content and "submission_token" not in content
    with translation.override("id"):
        rows = {row.name: (row.label, row.value) for row in content_fields(CaseKind.WBS, content)}
        assert rows["title"] == (str(WbsReportForm.base_fields["title"].label), "Pungli KTP")
        assert rows["violation_type"][1] == "Pungutan liar"
        assert rows["when_date"][1] == "02-03-2026"
        assert rows["reported_elsewhere"][1] == "Tidak"
        assert "identity_name" not in rows and "name" not in rows
