"""Forms of the handling panels: assignment, conflict of interest, notes, links, disclosure, hand-over."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from casework.cases.forms import QuickSelect, StaffModelChoiceField
from casework.handling.disclosure import MAX_REASON
from casework.handling.models import CaseLink
from casework.handling.notes import MAX_NOTE
from casework.staff.forms import StepUpForm
from casework.staff.models import StaffUser


class StorableTextField(forms.CharField):
    """Text that can be sealed: Django already refuses NUL; lone surrogates are refused here."""

    def to_python(self, value: Any) -> str:
        text = str(super().to_python(value))
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise forms.ValidationError(_("The text contains characters that cannot be stored.")) from None
        return text


class AssignForm(forms.Form):
    """A supervisor puts someone on the case's team, as lead officer or member."""

    prefix = "assign"  # the case page has other forms with an "officer" field
    ROLE_CHOICES = [("lead", _("Lead officer")), ("member", _("Team member"))]

    officer = StaffModelChoiceField(label=_("Staff member"), queryset=StaffUser.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, initial="member", widget=QuickSelect)

    def __init__(self, *args: Any, queryset: QuerySet[StaffUser], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["officer"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queryset


class ConfirmConflictForm(forms.Form):
    """An officer declares a conflict of interest (and loses access at once)."""

    prefix = "conflict"

    confirm = forms.BooleanField(
        label=_("I have a conflict of interest in this case. Take my access away now."), required=True
    )


class NoteForm(forms.Form):
    """An internal note: staff only, never shown to the reporter."""

    prefix = "note"  # the reply to the reporter on the same page has a "body" too

    body = StorableTextField(
        label=_("Internal note"),
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For staff only: the reporter never sees notes."),
    )


class LinkForm(forms.Form):
    """Link this case to a related one, by its number."""

    prefix = "link"

    other = forms.RegexField(
        label=_("Related case number"),
        regex=r"^[A-Za-z]{2,5}-[0-9]{4}-[0-9]{1,9}$",
        max_length=20,
        error_messages={"invalid": _("Enter a case number like WBS-2026-000123.")},
    )
    reason = forms.ChoiceField(label=_("Related because"), choices=CaseLink.Reason.choices, widget=QuickSelect)

    def clean_other(self) -> str:
        return str(self.cleaned_data["other"]).upper()


class DisclosureRequestForm(forms.Form):
    """An officer asks for the reporter's identity and says why."""

    prefix = "disclosure"

    reason = StorableTextField(
        label=_("Why do you need the reporter's identity?"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A supervisor other than you decides; the reason is sealed with the case."),
    )


class DisclosureDecisionForm(StepUpForm):
    """A supervisor approves or refuses a request, re-entering a second factor (``step_up_secret``)."""

    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("refuse", _("Refuse"))], widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, second_factor_only=True, **kwargs)
        self.order_fields(["decision", "step_up_secret"])


class ConfirmForm(forms.Form):
    """A checkbox that makes an action deliberate."""

    confirm = forms.BooleanField(label=_("I confirm."), required=True)


class HandOverForm(forms.Form):
    """Hand every case of a departing staff member over to a successor."""

    departing = StaffModelChoiceField(label=_("Cases of"), queryset=StaffUser.objects.none())
    successor = StaffModelChoiceField(label=_("Hand them over to"), queryset=StaffUser.objects.none())
    revoke_other_access = forms.BooleanField(
        label=_("Also take away their access to every other case they hold"), required=False
    )
    confirm = forms.BooleanField(label=_("I confirm the hand-over."), required=True)

    def __init__(
        self, *args: Any, departing: QuerySet[StaffUser], successors: QuerySet[StaffUser], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in (("departing", departing), ("successor", successors)):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("departing") is not None and cleaned.get("departing") == cleaned.get("successor"):
            self.add_error("successor", _("Choose someone else to take the cases over."))
        return cleaned
