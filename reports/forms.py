"""Console forms of the reports package: periods, filters, the case of a dossier, a forwarding package."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from casework.models import CaseKind, Organisation
from reports.case_documents import PART_FILES, PART_MESSAGES, PART_TIMELINE, CaseDocument
from reports.exceptions import ReportInputError
from reports.kinds import Authority
from reports.periods import Period, make_period
from reports.redaction import MAX_PASSAGE_LENGTH, MAX_PASSAGES, MIN_PASSAGE_LENGTH, RedactionError, parse_passages

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CASE_NUMBER = RegexValidator(r"^[A-Z]{2,4}-[0-9]{4}-[0-9]{6,7}$", _("Write a case number such as WBS-2026-000001."))


class PeriodForm(forms.Form):
    """From and to (days, Asia/Jakarta); empty means this year so far."""

    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET)
    period_required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            data["period"] = make_period(data.get("date_from"), data.get("date_to"))
        except ReportInputError as exc:
            raise forms.ValidationError(exc.message) from None
        return data

    @property
    def period(self) -> Period:
        """The validated period."""
        period: Period = self.cleaned_data["period"]
        return period


class RecapForm(PeriodForm):
    """The recap's filters: a period, optionally one kind and one organisation."""

    kind = forms.ChoiceField(
        label=_("Kind of report"), required=False, choices=[("", _("All kinds")), *CaseKind.choices]
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation concerned"),
        required=False,
        queryset=Organisation.objects.all(),
        empty_label=_("All organisations"),
    )


class AuditTrailForm(PeriodForm):
    """The events of a period, or of one case (then the period is optional)."""

    case = forms.CharField(label=_("Case number (optional)"), required=False, max_length=20, validators=[CASE_NUMBER])

    def clean(self) -> dict[str, Any]:
        if self.data.get("case") and not self.data.get("date_from") and not self.data.get("date_to"):
            data = forms.Form.clean(self) or {}
            data["period"] = None
            return data
        return super().clean()


class AnnualForm(forms.Form):
    """The year of an annual transparency report (a published year: the current one from its second month)."""

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from reports.transparency import published_years

        super().__init__(*args, **kwargs)
        year = self.fields["year"]
        assert isinstance(year, forms.TypedChoiceField)
        year.choices = [(y, str(y)) for y in published_years()]

    def clean(self) -> dict[str, Any]:
        from reports.transparency import UnknownPeriod, public_period

        data = super().clean() or {}
        if self.errors:
            return data
        try:
            data["period"] = public_period(data["year"])
        except UnknownPeriod:
            raise forms.ValidationError(_("No figures are published for this year yet.")) from None
        return data


class CaseForm(forms.Form):
    """The case of a dossier."""

    case = forms.CharField(label=_("Case number"), max_length=20, validators=[CASE_NUMBER])


class ForwardingForm(forms.Form):
    """Who the package is for, which parts go in it, and the passages to burn out."""

    authority = forms.ChoiceField(label=_("Send to"), choices=Authority.choices)
    reference = forms.CharField(
        label=_("Letter reference (optional)"),
        required=False,
        max_length=64,
        validators=[RegexValidator(r"^[A-Za-z0-9./ -]*$", _("Use letters, digits, spaces and . / - only."))],
    )
    parts = forms.MultipleChoiceField(
        label=_("Parts to send"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one part of the case to send.")},
    )
    passages = forms.CharField(
        label=_("Passages to redact (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Copy each passage that could identify the reporter, one per line. Each is replaced by a black bar "
            "before the PDF is made (letter case and line breaks do not matter). A passage that occurs nowhere "
            "stops the export, so a typo cannot leave a name in the document."
        ),
    )

    def __init__(self, *args: Any, document: CaseDocument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = [(f.name, f.label) for f in document.fields]
        choices += [
            (PART_MESSAGES, str(_("Messages with the reporter"))),
            (PART_FILES, str(_("List of files"))),
            (PART_TIMELINE, str(_("Timeline (audited events)"))),
        ]
        parts = self.fields["parts"]
        assert isinstance(parts, forms.MultipleChoiceField)
        parts.choices = choices

    def clean_passages(self) -> list[str]:
        try:
            return parse_passages(self.cleaned_data.get("passages") or "")
        except RedactionError:
            raise forms.ValidationError(
                _("Give at most %(max)s passages, each %(min)s to %(len)s characters long.")
                % {"max": MAX_PASSAGES, "min": MIN_PASSAGE_LENGTH, "len": MAX_PASSAGE_LENGTH}
            ) from None
