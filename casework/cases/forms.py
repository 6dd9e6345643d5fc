"""Forms of the case console: list filters, the reply to the reporter, and choosing a staff member."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from casework.cases.models import CaseKind, CaseStatus
from casework.cases.search import MAX_QUERY
from casework.cases.selectors import staff_label
from casework.cases.services import MAX_REPLY
from casework.staff.models import StaffUser


class CaseFilterForm(forms.Form):
    """Filters of the case list (GET): kind and status; unknown values are ignored."""

    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *CaseKind.choices])
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *CaseStatus.choices]
    )

    def filters(self) -> dict[str, str]:
        """Return the valid filters (empty when the form is invalid)."""
        if not self.is_valid():
            return {"kind": "", "status": ""}
        return {"kind": self.cleaned_data["kind"], "status": self.cleaned_data["status"]}


class CaseSearchForm(forms.Form):
    """Words to look for in the cases one holds (posted, so the query never appears in a URL)."""

    q = forms.CharField(
        label=_("Search in the cases you hold"),
        max_length=MAX_QUERY,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autofocus": True}),
        help_text=_(
            'Every word must occur in the case (report, messages or file names); put a phrase in "quotes". '
            "The cases are decrypted for this search only: nothing is indexed or kept, and the words you "
            "search for are not recorded."
        ),
    )


class CaseReplyForm(forms.Form):
    """A message from the Inspektorat to the reporter."""

    body = forms.CharField(
        label=_("Message to the reporter"),
        max_length=MAX_REPLY,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_('The reporter sees it signed "Inspektorat", never with your name.'),
    )


class StaffModelChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A staff member, shown by full name and username."""

    def label_from_instance(self, obj: StaffUser) -> str:
        return staff_label(obj)


class StaffChoiceForm(forms.Form):
    """Choose one staff member from ``queryset`` (grant, revoke, re-grant)."""

    officer = StaffModelChoiceField(label=_("Staff member"), queryset=StaffUser.objects.none())

    def __init__(self, *args: Any, queryset: QuerySet[StaffUser], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["officer"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queryset
