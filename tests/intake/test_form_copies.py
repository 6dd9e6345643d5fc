"""Each reporter form instance gets copies of the declared fields (``intake.forms.copy_field``) that are what
Django's own ``copy.deepcopy`` gives: equal, rendered alike, and sharing nothing an instance may change."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django import forms

from intake.forms import (
    AttachmentForm,
    GratificationReportForm,
    ReceiptForm,
    ReplyForm,
    ReporterForm,
    WbsReportForm,
    copy_field,
    refuse_surrogates,
)

FORMS = [WbsReportForm, GratificationReportForm, ReceiptForm, ReplyForm, AttachmentForm]
# What an instance may change in place on its own copy of a field.
MUTABLE = ("error_messages", "validators")


def _marker(value: Any) -> None:
    """A validator an instance adds to its own copy of a field."""


def _comparable(thing: Any) -> dict[str, Any]:
    """Return an object's attributes, with querysets as their SQL (two querysets never compare equal)."""
    out = {}
    for name, value in vars(thing).items():
        if isinstance(value, forms.Widget):
            value = (type(value), _comparable(value))
        elif hasattr(value, "query") and hasattr(value, "model"):
            value = (value.model, str(value.query))
        elif type(value).__name__ == "ModelChoiceIterator":
            value = type(value)
        out[name] = value
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("form_class", FORMS)
def test_a_copied_field_equals_djangos_deep_copy(form_class: type[ReporterForm]) -> None:
    for name, field in form_class.base_fields.items():
        ours, djangos = copy_field(field), copy.deepcopy(field)
        assert type(ours) is type(djangos), name
        assert _comparable(ours) == _comparable(djangos), name


@pytest.mark.django_db
@pytest.mark.parametrize("form_class", FORMS)
def test_a_form_instance_shares_nothing_it_may_change_with_its_class_or_another_instance(
    form_class: type[ReporterForm],
) -> None:
    first, second = form_class(), form_class()
    for name, base in form_class.base_fields.items():
        mine, other = first.fields[name], second.fields[name]
        assert mine is not base and mine is not other
        assert mine.widget is not base.widget and mine.widget is not other.widget
        assert mine.widget.attrs is not base.widget.attrs
        for attribute in MUTABLE:
            assert getattr(mine, attribute) is not getattr(base, attribute), (name, attribute)
        if isinstance(base, forms.ModelChoiceField):
            assert mine.queryset is not base.queryset  # type: ignore[attr-defined]
        elif isinstance(base, forms.ChoiceField):
            assert mine._choices is not base._choices  # type: ignore[attr-defined]
        if isinstance(base.widget, forms.widgets.ChoiceWidget):
            assert mine.widget.choices is not base.widget.choices

        mine.widget.attrs["data-changed"] = "yes"
        mine.error_messages["required"] = "changed"
        mine.validators.append(_marker)
        assert "data-changed" not in base.widget.attrs and "data-changed" not in other.widget.attrs
        assert base.error_messages.get("required") != "changed" != other.error_messages.get("required")
        assert _marker not in base.validators and _marker not in other.validators
        assert form_class().fields[name].validators == base.validators


@pytest.mark.django_db
@pytest.mark.parametrize("form_class", FORMS)
def test_a_form_renders_as_with_djangos_copies(form_class: type[ReporterForm], monkeypatch: pytest.MonkeyPatch) -> None:
    ours = str(form_class(auto_id="id_%s"))
    monkeypatch.setattr(form_class, "base_fields", dict(form_class.base_fields))  # Django's deepcopy of a dict
    djangos = str(form_class(auto_id="id_%s"))
    token = 'name="submission_token"'
    # The unbound report forms draw a new one-time token for each instance; everything else is the same.
    if token in ours:
        ours, djangos = (page.split(token)[0] for page in (ours, djangos))
    assert ours == djangos


def test_a_field_of_an_unknown_kind_is_copied_by_django() -> None:
    class Remembering(forms.CharField):
        copies = 0

        def __deepcopy__(self, memo: dict[int, Any]) -> Any:
            Remembering.copies += 1
            return super().__deepcopy__(memo)

    copied = copy_field(Remembering())
    assert Remembering.copies == 1 and isinstance(copied, Remembering)


def test_every_text_field_gets_the_surrogate_check_once_also_in_a_subclass() -> None:
    class Longer(ReplyForm):
        extra = forms.CharField()

    for form_class in (ReplyForm, Longer):
        for field in form_class().fields.values():
            if isinstance(field, forms.CharField):
                assert field.validators.count(refuse_surrogates) == 1


# --- A form that is only validated (the API): the class's fields, but those it changes -------------------------
def _snapshot(form_class: type[ReporterForm]) -> dict[str, Any]:
    return {name: copy.deepcopy(_comparable(field)) for name, field in form_class.base_fields.items()}


def _posts() -> list[tuple[type[ReporterForm], dict[str, Any]]]:
    from tests.intake.conftest import gratification_post, wbs_post

    wbs = [
        wbs_post(),
        wbs_post(title=""),
        wbs_post(when_date="2999-01-01"),
        wbs_post(when_date="kemarin"),
        wbs_post(identity_nik="123"),
        wbs_post(violation_type="bukan-jenis"),
        wbs_post(organisation="tidak-ada"),
        wbs_post(exclude_recipients=["999999", "x"]),
        wbs_post(what="\ud800 teks rusak"),
        wbs_post(submission_token="t" * 65),
        wbs_post(estimated_loss="-5"),
        wbs_post(identity_email="bukan-surel"),
    ]
    gratification = [
        gratification_post(),
        gratification_post(recipient_nik="12"),
        gratification_post(value="banyak"),
        gratification_post(report_type="lain"),
        gratification_post(birth_date="2999-01-01"),
    ]
    return [(WbsReportForm, post) for post in wbs] + [(GratificationReportForm, post) for post in gratification]


@pytest.mark.django_db
def test_a_form_only_validated_uses_the_class_fields_except_those_it_changes() -> None:
    from tests.intake.conftest import wbs_post

    form = WbsReportForm(wbs_post(), shared_fields=True)
    base = WbsReportForm.base_fields
    assert form.fields["title"] is base["title"] and form.fields["what"] is base["what"]
    assert form.fields["exclude_recipients"] is not base["exclude_recipients"]  # its choices are set per form
    assert form.fields["organisation"] is not base["organisation"]  # a queryset of its own
    assert form.fields["attachments"] is not base["attachments"]  # Django's file input notes a "clear" box
    with pytest.raises(TypeError):
        WbsReportForm(shared_fields=True)  # an unbound form is shown: it gets copies


@pytest.mark.django_db
def test_validating_with_the_class_fields_changes_none_and_judges_as_with_copies(intake_staff: Any) -> None:
    """Valid and invalid posts of both report forms: the same errors and cleaned data as forms with their own
    copies, and every declared field exactly as before."""
    before = {form_class: _snapshot(form_class) for form_class in (WbsReportForm, GratificationReportForm)}
    for form_class, post in _posts():
        shared, own = form_class(post, {}, shared_fields=True), form_class(post, {})
        assert shared.is_valid() == own.is_valid(), post
        assert shared.errors.get_json_data() == own.errors.get_json_data(), post
        assert shared.cleaned_data == own.cleaned_data, post
    assert any(not form_class(post, {}).is_valid() for form_class, post in _posts())
    for form_class, snapshot in before.items():
        assert _snapshot(form_class) == snapshot


@pytest.mark.django_db
def test_the_report_page_validates_with_the_class_fields_and_shows_errors_on_its_own_copies(
    client: Any, intake_staff: Any
) -> None:
    from tests.intake.conftest import wbs_post

    before = _snapshot(WbsReportForm)
    assert client.post("/en/report/wbs/", wbs_post()).status_code == 200
    page = client.post("/en/report/wbs/", wbs_post(title="", when_date="2999-01-01", who_name="Nama tetap"))
    assert page.status_code == 400
    html = page.content.decode()
    assert "This field is required." in html and 'value="Nama tetap"' in html
    assert _snapshot(WbsReportForm) == before
