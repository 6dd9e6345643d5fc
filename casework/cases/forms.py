"""Forms of the case console: the queue's filters, search, the reply to the reporter, choosing a staff member."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from casework.cases.models import (
    CaseKind,
    CaseStatus,
    Channel,
    GiftType,
    Organisation,
    PublicStatus,
    ViolationType,
)
from casework.cases.queue import UNASSIGNED, Due, QueueFilters, Sort, State
from casework.cases.search import MAX_QUERY
from casework.cases.selectors import staff_label
from casework.cases.services import MAX_REPLY
from casework.staff.models import StaffUser
from casework.staff.roles import SUPERVISE_CASES
from casework.staff.selectors import case_key_holders


class QuickSelect(forms.Select):
    """A ``<select>`` written in Python instead of Django's template per option.

    The queue's filters have about 150 options; rendering each through ``select_option.html`` took most of
    the list page's time on a loaded machine. Same markup, same escaping (``format_html``), no option groups.
    The case page's selects (staff, roles, link reasons, deadline rules) use it too.
    """

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        chosen = {str(v) for v in self.format_value(value)}
        options = [
            format_html('<option value="{}" selected>{}</option>', key, label)
            if str(key) in chosen
            else format_html('<option value="{}">{}</option>', key, label)
            for key, label in self.choices
        ]
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        return format_html('<select name="{}"{}>{}</select>', name, attributes, mark_safe("".join(options)))  # noqa: S308 - each option escaped by format_html


class StaffModelChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A staff member, shown by full name and username (a ``QuickSelect``: the case page has several)."""

    widget = QuickSelect

    def label_from_instance(self, obj: StaffUser) -> str:
        return staff_label(obj)


def _choices(everything: Any, choices: Any) -> list[tuple[str, Any]]:
    return [("", everything), *choices]


class CaseFilterForm(forms.Form):
    """Filters and order of the case queue (GET). Invalid values are reported and ignored, the rest apply."""

    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=_choices(_("All kinds"), CaseKind.choices), widget=QuickSelect
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_choices(_("All statuses"), CaseStatus.choices), widget=QuickSelect
    )
    public_status = forms.ChoiceField(
        label=_("Status the reporter sees"),
        required=False,
        widget=QuickSelect,
        choices=_choices(_("Any"), PublicStatus.choices),
    )
    state = forms.ChoiceField(
        label=_("Open or closed"),
        required=False,
        widget=QuickSelect,
        choices=_choices(_("Open and closed"), [(State.OPEN, _("Open")), (State.CLOSED, _("Closed"))]),
    )
    due = forms.ChoiceField(
        label=_("Deadline"),
        required=False,
        widget=QuickSelect,
        choices=_choices(_("Any"), [(Due.OVERDUE, _("Overdue")), (Due.WEEK, _("Due within 7 days"))]),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        required=False,
        queryset=Organisation.objects.only("code", "name").order_by("name"),
        to_field_name="code",
        empty_label=_("All organisations"),
        widget=QuickSelect,
    )
    violation_type = forms.ChoiceField(
        label=_("Violation type"), required=False, choices=_choices(_("Any"), ViolationType.choices), widget=QuickSelect
    )
    gift_type = forms.ChoiceField(
        label=_("Gift type"), required=False, choices=_choices(_("Any"), GiftType.choices), widget=QuickSelect
    )
    channel = forms.ChoiceField(
        label=_("Received by"), required=False, choices=_choices(_("Any"), Channel.choices), widget=QuickSelect
    )
    holder = forms.ChoiceField(
        label=_("Handled by"),
        required=False,
        widget=QuickSelect,
        help_text=_("Cases this staff member has access to."),
    )
    assignee = forms.ChoiceField(
        label=_("Assigned to"),
        required=False,
        widget=QuickSelect,
        help_text=_("Cases this staff member leads or is on the team of."),
    )
    received_from = forms.DateField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    received_to = forms.DateField(
        label=_("Received until"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    sort = forms.ChoiceField(
        label=_("Order"),
        required=False,
        widget=QuickSelect,
        choices=[
            (Sort.NEWEST, _("Newest first")),
            (Sort.OLDEST, _("Oldest first")),
            (Sort.DUE, _("Deadline, soonest first")),
            (Sort.NUMBER, _("Case number")),
            (Sort.STATUS, _("Status")),
        ],
    )

    def __init__(self, *args: Any, user: StaffUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One query for both staff filters (a model choice field per filter would read the staff twice each:
        # to check the value and to draw the options).
        self.staff = {str(person.pk): person for person in case_key_holders()}
        people = [(pk, staff_label(person)) for pk, person in self.staff.items()]
        self._choose("holder", [("", _("Anyone")), *people])
        if user.has_perm(SUPERVISE_CASES):
            assignees = [("", _("Anyone")), (UNASSIGNED, _("Nobody yet (unassigned)")), *people]
        else:  # an officer narrows to their own assignments only
            assignees = [("", _("Anyone")), (str(user.pk), _("Me"))]
        self._choose("assignee", assignees)

    def _choose(self, name: str, choices: list[tuple[str, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("received_from"), cleaned.get("received_to")
        if start and end and end < start:
            self.add_error("received_to", _("The end of the period is before its start."))
        return cleaned

    def query_string(self) -> str:
        """Return the valid, non-empty filters as a query string (what the pager and a saved view keep)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        pairs = []
        for name in self.fields:
            value = data.get(name)
            if value in (None, ""):
                continue
            if isinstance(value, Organisation):
                value = value.code
            elif isinstance(value, date):
                value = value.isoformat()
            pairs.append((name, str(value)))
        return urlencode(pairs)

    def filters(self) -> QueueFilters:
        """Return the filters of the valid fields (an invalid field counts as not set)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        organisation = data.get("organisation")
        return QueueFilters(
            kind=data.get("kind") or "",
            status=data.get("status") or "",
            public_status=data.get("public_status") or "",
            state=data.get("state") or "",
            due=data.get("due") or "",
            organisation=organisation.code if organisation is not None else "",
            violation_type=data.get("violation_type") or "",
            gift_type=data.get("gift_type") or "",
            channel=data.get("channel") or "",
            holder=self.staff.get(data.get("holder") or ""),
            assignee=self.staff.get(data.get("assignee") or ""),
            unassigned=data.get("assignee") == UNASSIGNED,
            received_from=data.get("received_from"),
            received_to=data.get("received_to"),
            sort=Sort(data.get("sort") or Sort.NEWEST),
        )


class CaseSearchForm(forms.Form):
    """Words to look for in the cases one holds (posted, so the query never appears in a URL)."""

    q = forms.CharField(
        label=_("Search in the cases you hold"),
        max_length=MAX_QUERY,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autofocus": True}),
        help_text=_(
            'Every word must occur in the case (report, messages or file names); put a phrase in "quotes". '
            "The cases are decrypted for this search only: nothing is indexed or kept, and the words you "
            "search for are not recorded. A case number (WBS-2026-483920) opens that case."
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


class StaffChoiceForm(forms.Form):
    """Choose one staff member from ``queryset`` (grant, revoke, re-grant)."""

    officer = StaffModelChoiceField(label=_("Staff member"), queryset=StaffUser.objects.none())

    def __init__(
        self, *args: Any, queryset: QuerySet[StaffUser], listed: list[StaffUser] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["officer"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queryset
        if listed is not None:
            # ``queryset`` already read by the page (``listed``): its options, without reading it again. A
            # posted choice is still checked against ``queryset``.
            field.choices = [("", field.empty_label), *((person.pk, staff_label(person)) for person in listed)]
