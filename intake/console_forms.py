"""The console form for a report received by another channel: how it came and on which day.

The report itself is entered in the same form a reporter uses on the web (``WbsReportForm`` or
``GratificationReportForm``), so both are validated alike; this form adds only what the web does not know.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.models import RECORDED_CHANNELS

# How far back an officer may date a report's receipt (a letter opened late, a referral forwarded on).
MAX_BACKDATE_DAYS = 90


class ChannelForm(forms.Form):
    """How and when the inspectorate received a report that did not come through the web form."""

    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=[("", _("(choose)")), *((choice.value, choice.label) for choice in RECORDED_CHANNELS)],
    )
    received_on = forms.DateField(
        label=_("Received on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"],
        help_text=_("The day the inspectorate received it (the date stamp of a letter); its deadlines count from it."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "received")  # the gratification form has its own "received_on" (the gift's)
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["received_on"].initial = timezone.localdate()

    def clean_received_on(self) -> Any:
        day = self.cleaned_data["received_on"]
        today = timezone.localdate()
        if day > today:
            raise forms.ValidationError(_("The day of receipt cannot be in the future."))
        if day < today - timedelta(days=MAX_BACKDATE_DAYS):
            raise forms.ValidationError(
                _("A report received more than %(days)d days ago cannot be recorded here."),
                params={"days": MAX_BACKDATE_DAYS},
            )
        return day
