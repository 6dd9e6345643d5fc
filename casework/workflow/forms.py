"""Forms of the lifecycle pages: a transition, triage metadata, the UPG hand-over, retention, clocks,
calendar overrides and the SLA period. Every form that changes a case carries the case's version."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.cases.forms import QuickSelect
from casework.cases.models import (
    Case,
    CaseKind,
    ForwardedTo,
    GiftType,
    GiftValueBand,
    Organisation,
    Outcome,
    ViolationType,
)
from casework.workflow.lifecycle import MAX_REASON, MAX_REFERENCE, TransitionInput
from casework.workflow.models import CalendarOverride, KpkDecision, Transition
from casework.workflow.triage import Triage

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date_field(label: Any, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DATE_WIDGET, input_formats=["%Y-%m-%d", "%d-%m-%Y"])


class VersionedForm(forms.Form):
    """A form about a case, refused later when the case changed since it was shown."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class TransitionForm(VersionedForm):
    """The fields a transition needs: a reason, an outcome, forwarding or KPK details."""

    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 4})
    )
    outcome = forms.ChoiceField(label=_("Outcome"), required=False, choices=[("", "---------"), *Outcome.choices])
    forwarded_to = forms.ChoiceField(
        label=_("Forwarded to"), required=False, choices=[("", "---------"), *ForwardedTo.choices]
    )
    forward_reference = forms.CharField(
        label=_("Reference number of the forwarding letter"), required=False, max_length=MAX_REFERENCE
    )
    kpk_registration_number = forms.CharField(
        label=_("KPK registration number (Gratifikasi Online)"), required=False, max_length=MAX_REFERENCE
    )
    kpk_forwarded_on = _date_field(_("Forwarded to the KPK on"), required=False)
    sk_number = forms.CharField(label=_("SK number"), required=False, max_length=MAX_REFERENCE)
    sk_date = _date_field(_("SK date"), required=False)
    kpk_decision = forms.ChoiceField(
        label=_("KPK decision"), required=False, choices=[("", "---------"), *KpkDecision.choices]
    )

    def __init__(self, *args: Any, step: Transition, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.step = step
        keep = {"version", "reason"}
        if step.closes and not step.outcome:
            keep |= {"outcome", "forwarded_to", "forward_reference"}
        if step.requires == Transition.Requires.FORWARDING:
            keep |= {"forwarded_to", "forward_reference"}
        if step.requires == Transition.Requires.KPK_FORWARDING:
            keep |= {"kpk_registration_number", "kpk_forwarded_on"}
        if step.requires == Transition.Requires.KPK_DECISION:
            keep |= {"sk_number", "sk_date", "kpk_decision"}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if step.reason_required:
            self.fields["reason"].required = True
            self.fields["reason"].help_text = _("Required. Sealed with the case: only staff holding it can read it.")
        else:
            self.fields["reason"].help_text = _("Optional. Sealed with the case: only staff holding it can read it.")
        if "outcome" in self.fields and not case.outcome:
            self.fields["outcome"].required = True
        if (
            "outcome" in self.fields
            and "forwarded_to" in self.fields
            and step.requires != Transition.Requires.FORWARDING
        ):
            self.fields["forwarded_to"].help_text = _('Only when the outcome is "forwarded".')

    def data_for_service(self) -> TransitionInput:
        """Return the cleaned values as the service takes them."""
        data = self.cleaned_data
        return TransitionInput(
            reason=data.get("reason") or "",
            outcome=data.get("outcome") or "",
            forwarded_to=data.get("forwarded_to") or "",
            forward_reference=data.get("forward_reference") or "",
            kpk_registration_number=data.get("kpk_registration_number") or "",
            kpk_forwarded_on=data.get("kpk_forwarded_on"),
            sk_number=data.get("sk_number") or "",
            sk_date=data.get("sk_date"),
            kpk_decision=data.get("kpk_decision") or "",
        )


class TriageForm(VersionedForm):
    """Triage metadata: organisation, and the violation type or the gift type and value band."""

    organisation = forms.ModelChoiceField(
        label=_("Organisation concerned"),
        required=False,
        queryset=Organisation.objects.filter(active=True),
        to_field_name="code",
    )
    violation_type = forms.ChoiceField(
        label=_("Violation type"), required=False, choices=[("", "---------"), *ViolationType.choices]
    )
    gift_type = forms.ChoiceField(label=_("Gift type"), required=False, choices=[("", "---------"), *GiftType.choices])
    gift_value_band = forms.ChoiceField(
        label=_("Gift value band"), required=False, choices=[("", "---------"), *GiftValueBand.choices]
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        drop = ("gift_type", "gift_value_band") if case.kind == CaseKind.WBS else ("violation_type",)
        for name in drop:
            del self.fields[name]

    def triage(self) -> Triage:
        """Return the cleaned values as the service takes them."""
        data = self.cleaned_data
        return Triage(
            organisation=data.get("organisation"),
            violation_type=data.get("violation_type") or "",
            gift_type=data.get("gift_type") or "",
            gift_value_band=data.get("gift_value_band") or "",
        )


class UpgHandoverForm(VersionedForm):
    """The gift was handed over to the UPG."""

    handed_over_on = _date_field(_("Handed over on"))
    receipt_number = forms.CharField(label=_("UPG receipt number"), max_length=64)
    storage_place = forms.CharField(label=_("Storage place"), max_length=200)


class GroundsForm(forms.Form):
    """Grounds of a legal hold or an early destruction (one line; never report content)."""

    grounds = forms.CharField(
        label=_("Grounds"),
        max_length=200,
        help_text=_("One line, e.g. the number of the court's or the KPK's letter. Do not write report content here."),
    )


class DecisionForm(forms.Form):
    """Approve or refuse an early destruction request."""

    request_id = forms.IntegerField(widget=forms.HiddenInput)
    approve = forms.TypedChoiceField(
        coerce=lambda v: v == "yes", choices=[("yes", _("Approve")), ("no", _("Refuse"))], widget=forms.HiddenInput
    )


class ClockStartForm(forms.Form):
    """Start a clock by hand (e.g. PDP_BREACH when a report reveals a personal data breach)."""

    rule_code = forms.ChoiceField(label=_("Deadline rule"), choices=[], widget=QuickSelect)

    def __init__(self, *args: Any, codes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["rule_code"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(code, code) for code in codes]


class CalendarOverrideForm(forms.Form):
    """A day the office is closed or open against the national calendar."""

    day = _date_field(_("Date"))
    kind = forms.ChoiceField(label=_("The office is"), choices=CalendarOverride.Kind.choices)
    note = forms.CharField(label=_("Note"), max_length=200, help_text=_("E.g. the SKB's number or the local decision."))


class PeriodForm(forms.Form):
    """The period of the SLA page (clocks started in it); the last twelve months by default."""

    start = _date_field(_("From"), required=False)
    end = _date_field(_("To"), required=False)

    def period(self) -> tuple[date, date]:
        """Return the valid period, or the default one."""
        today = timezone.localdate()
        default = (today - timedelta(days=365), today)
        if not self.is_valid():
            return default
        start = self.cleaned_data.get("start") or default[0]
        end = self.cleaned_data.get("end") or default[1]
        if start > end:
            self.add_error("end", _("The end of the period is before its start."))
            return default
        return start, end
