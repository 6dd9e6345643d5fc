"""Reporter forms: the WBS report (5W1H), the gratification report (KPK form), follow-up login and reply.

The JSON API binds the same forms, so the browser and the API validate alike. Every field is bounded. The
labels, choices and sections of the report fields come from ``casework.cases.content``, where officers read the
same words.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.cases.content import GRATIFICATION_REPORT, WBS_REPORT, ReportField
from casework.models import Organisation
from casework.recent import Recent
from intake.attachments import SEND_UNCLEANED_LABEL, RejectedAttachment, check_attachment_count
from intake.recipients import roster
from intake.voice import DEFAULT_MAX_VOICE_SECONDS
from vault import services as vault

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise as Label

SHORT = 200
MEDIUM = 500
LONG = 20_000

nik_validator = RegexValidator(r"^[0-9]{16}\Z", _("A NIK has exactly 16 digits."), code="nik")
phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 ()\-]{4,23}\Z", _("Enter a phone number using digits, spaces, dashes or a leading +."), "phone"
)


TOKEN_DAMAGED = _(
    "This form's one-time token is damaged (longer than 64 characters). Open the form again and send your report "
    "from there. Nothing has been saved."
)


def refuse_surrogates(value: str) -> None:
    """Refuse text with lone UTF-16 surrogates (e.g. ``"\\ud800"`` in JSON): it cannot be stored as UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise forms.ValidationError(
            _("This text contains characters that cannot be read as text. Please remove them."), code="surrogates"
        ) from exc


# Django's own ``__deepcopy__`` methods that ``copy_field`` reproduces; a field or widget with any other is copied
# by Django (``copy.deepcopy``), so a field type added later is never copied wrongly.
_FIELD_COPIES = {forms.Field.__deepcopy__, forms.ChoiceField.__deepcopy__, forms.ModelChoiceField.__deepcopy__}
_WIDGET_COPIES = {forms.Widget.__deepcopy__, forms.widgets.ChoiceWidget.__deepcopy__}


def _shallow(thing: Any) -> Any:
    """Return a shallow copy of a plain object: what ``copy.copy`` returns, without its generic protocol."""
    twin = object.__new__(type(thing))
    twin.__dict__.update(thing.__dict__)
    return twin


def copy_field(field: forms.Field) -> forms.Field:
    """Return the copy of a declared field a form instance gets: what Django's ``copy.deepcopy`` returns.

    Django copies every field of a form for each instance with ``copy.deepcopy``, through its generic copy
    protocol; for the 26 fields of a report that was 0.24 ms of each submission (docs/reliability.md, stop 24).
    This does what the field's and widget's own ``__deepcopy__`` do (new widget, attributes, error messages,
    validators and choices; a new queryset), directly. Fields or widgets with other copy methods go to Django.
    """
    widget = field.widget
    if type(field).__deepcopy__ not in _FIELD_COPIES or type(widget).__deepcopy__ not in _WIDGET_COPIES:
        return copy.deepcopy(field)
    twin: Any = _shallow(field)
    twin_widget = _shallow(widget)
    twin_widget.attrs = widget.attrs.copy()
    if isinstance(widget, forms.widgets.ChoiceWidget):
        twin_widget.choices = copy.copy(widget.choices)
    twin.widget = twin_widget
    twin.error_messages = field.error_messages.copy()
    twin.validators = field.validators[:]
    if isinstance(field, forms.ModelChoiceField):
        if field.queryset is not None:
            twin.queryset = field.queryset.all()  # a queryset of its own, as Django's copy gives (its #11183)
    elif isinstance(field, forms.ChoiceField):
        twin._choices = copy.deepcopy(field._choices)  # type: ignore[attr-defined]
    return twin  # type: ignore[no-any-return]


class _DeclaredFields(dict[str, forms.Field]):
    """A form class's declared fields, copied for each form instance with ``copy_field``."""

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return {name: copy_field(field) for name, field in self.items()}


class _SharedFields(dict[str, forms.Field]):
    """A class's declared fields as a form that only validates gets them: the same field objects, but copies of
    those validating changes: the ones the form's ``__init__`` changes (``instance_fields``), model choice fields
    (their querysets) and file fields (Django's ``ClearableFileInput`` notes a "clear" box as it reads the data)."""

    def __init__(self, fields: dict[str, forms.Field], *, copied: Sequence[str]) -> None:
        super().__init__(fields)
        self.copied = frozenset(copied)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return {
            name: copy_field(field) if name in self.copied or _changes_as_it_validates(field) else field
            for name, field in self.items()
        }


def _changes_as_it_validates(field: forms.Field) -> bool:
    return isinstance(field, forms.ModelChoiceField) or isinstance(field.widget, forms.ClearableFileInput)


class ReporterFormMetaclass(forms.forms.DeclarativeFieldsMetaclass):
    """Every text field refuses unencodable characters; the fields are copied per instance with ``copy_field``."""

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> Any:
        new_class: Any = super().__new__(mcs, name, bases, attrs)
        for field in new_class.base_fields.values():
            # A subclass's base fields include its parents' field objects: add the validator once.
            if isinstance(field, forms.CharField) and refuse_surrogates not in field.validators:
                field.validators.append(refuse_surrogates)
        new_class.base_fields = _DeclaredFields(new_class.base_fields)
        return new_class


class ReporterForm(forms.Form, metaclass=ReporterFormMetaclass):
    """A form a reporter (or an API client) fills in: every text field refuses unencodable characters.

    Fields a subclass adds in ``__init__`` add ``refuse_surrogates`` themselves.

    ``shared_fields=True`` is for a bound form that is only validated, never shown (the API): it uses the
    class's field objects instead of copies, except for the fields validating changes (``_SharedFields``).
    Django copies every field for every form so a form may change its own; validating changes none of the
    others (tests/intake/test_form_copies.py), and the copies were a tenth of an API report's Python on a busy
    server (docs/reliability.md, stop 25).
    """

    instance_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, shared_fields: bool = False, **kwargs: Any) -> None:
        if shared_fields:
            if not (args or kwargs.get("data") is not None):
                raise TypeError("shared_fields is for a bound form that is only validated")
            # BaseForm.__init__ copies ``self.base_fields``: this instance's, then.
            self.base_fields = _SharedFields(type(self).base_fields, copied=self.instance_fields)  # type: ignore[misc]
        super().__init__(*args, **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    """A file input that accepts several files."""

    allow_multiple_selected = True


class ExplicitCheckboxInput(forms.CheckboxInput):
    """A checkbox that is ticked only by an explicit yes: "on" (browsers), "true", "1" or "yes".

    Django's own reads any other text, such as "0" or "no" from an API client, as ticked.
    """

    def value_from_datadict(self, data: Any, files: Any, name: str) -> bool:
        value = data.get(name)
        return isinstance(value, str) and value.strip().lower() in {"on", "true", "1", "yes"}


def send_uncleaned_field() -> forms.BooleanField:
    """Return the reporter's explicit choice to send files that cannot be cleaned as they are (off by default)."""
    return forms.BooleanField(
        label=SEND_UNCLEANED_LABEL,
        label_suffix="",  # the label follows the box
        required=False,
        widget=ExplicitCheckboxInput,
        help_text=_(
            "Leave this unticked unless you need it. A file that cannot be cleaned (a damaged photo, a very large "
            "image, an old Word, Excel or PowerPoint file, RTF) may still show where, when or with which device it "
            "was made, or who made it; such files are refused. Tick this to send them anyway: they are listed on "
            "your receipt, and the Inspektorat sees which files were sent as they are."
        ),
    )


class MultipleFileField(forms.FileField):
    """Zero or more uploaded files; each is checked by Django's FileField (e.g. empty files are refused)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        single = super().clean
        items = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [single(item, initial) for item in items if item]
        if self.required and not cleaned:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        try:
            check_attachment_count(len(cleaned))
        except RejectedAttachment as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        return cleaned


def _voice_help() -> str:
    minutes = max(1, round(int(getattr(settings, "PELUIT_MAX_VOICE_SECONDS", DEFAULT_MAX_VOICE_SECONDS)) / 60))
    return gettext(
        "Only recordings in which you yourself speak (MP3, M4A, OGG or WAV, up to %(minutes)d minutes together): "
        "the pitch and the character of your voice are changed by random amounts before encryption, so your "
        "voice is harder to recognise. The original is not kept. The words and your way of speaking stay. "
        "Do not put recordings of other people here: evidence recordings of others belong with the other "
        "files, unchanged, so that they keep their value as evidence."
    ) % {"minutes": minutes}


def voice_recordings_field() -> MultipleFileField:
    """Return the file field for recordings of the reporter's own voice, which are disguised before sealing."""
    return MultipleFileField(
        label=_("Recordings of my own voice (will be disguised)"),
        help_text=lazy(_voice_help, str)(),  # read when shown: the limit is a setting, the text is translated
    )


FILE_FIELDS = ("attachments", "voice_recordings")


def check_file_total(form: forms.Form, cleaned: dict[str, Any]) -> None:
    """Add an error when the files of all file fields together are more than one submission may carry."""
    total = sum(len(cleaned.get(name) or []) for name in FILE_FIELDS)
    try:
        check_attachment_count(total)
    except RejectedAttachment as exc:
        form.add_error("attachments", exc.message)


W = WBS_REPORT.fields
G = GRATIFICATION_REPORT.fields


def _label(field: ReportField | Label) -> Label:
    return field.label if isinstance(field, ReportField) else field


def _text(field: ReportField, *, required: bool = False, max_length: int = SHORT, **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=field.label, required=required, max_length=max_length, **kwargs)


def _textarea(
    field: ReportField | Label, *, required: bool = False, max_length: int = LONG, **kwargs: Any
) -> forms.CharField:
    return forms.CharField(
        label=_label(field),
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": 5}),
        **kwargs,
    )


def _date(field: ReportField, *, required: bool = False, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        label=field.label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"],
        **kwargs,
    )


def _rupiah(field: ReportField, *, required: bool = False, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=field.label,
        required=required,
        min_value=0,
        max_digits=18,
        decimal_places=2,
        help_text=_("Digits only, without dots, e.g. 1500000."),
        **kwargs,
    )


_recent_organisations: Recent[dict[str, Organisation]] = Recent()


def recent_organisations() -> dict[str, Organisation]:
    """Return the active organisations by code, read at most ``PELUIT_RULES_CACHE_SECONDS`` ago in this process.

    Every submission names one; a flood of reports reads the short list once instead of once per report.
    """
    ttl = float(getattr(settings, "PELUIT_RULES_CACHE_SECONDS", 2.0))
    return _recent_organisations.get(
        lambda: {organisation.code: organisation for organisation in Organisation.objects.filter(active=True)}, ttl=ttl
    )


def forget_recent_organisations() -> None:
    """Drop the kept organisations (tests; a change that must reach intake at once)."""
    _recent_organisations.forget()


class OrganisationField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """An active organisation chosen by its code; the choice is looked up in ``recent_organisations``."""

    def to_python(self, value: Any) -> Organisation | None:
        """Return the active organisation with this code, None when empty; refuse any other value."""
        if value in self.empty_values:
            return None
        organisation = recent_organisations().get(str(value))
        if organisation is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return organisation


def _organisation(field: ReportField, *, required: bool) -> forms.ModelChoiceField[Organisation]:
    return OrganisationField(
        label=field.label,
        required=required,
        queryset=Organisation.objects.filter(active=True).order_by("name"),
        to_field_name="code",
        empty_label=_("(choose)") if required else _("(unknown or not listed)"),
    )


def _yes_no(field: ReportField) -> forms.TypedChoiceField:
    """Return a No/Yes radio field cleaned to a bool; missing means No."""
    return forms.TypedChoiceField(
        label=field.label,
        choices=[("no", _("No")), ("yes", _("Yes"))],
        initial="no",
        coerce=lambda v: v == "yes",
        required=False,
        empty_value=False,  # type: ignore[arg-type]  # Django returns it as is; the stubs say str
        widget=forms.RadioSelect,
    )


def _choice(field: ReportField, *, required: bool = True, **kwargs: Any) -> forms.ChoiceField:
    blank = [("", _("(choose)"))]
    return forms.ChoiceField(label=field.label, required=required, choices=blank + list(field.choices), **kwargs)


class NotInFutureMixin:
    """Refuse dates after today (in the inspectorate's time zone) for the listed fields."""

    past_date_fields: Sequence[str] = ()

    def check_dates(self, cleaned: dict[str, Any]) -> None:
        today = timezone.localdate()
        for name in self.past_date_fields:
            value = cleaned.get(name)
            if value is not None and value > today:
                self.add_error(name, _("This date is in the future."))  # type: ignore[attr-defined]


class ReportForm(NotInFutureMixin, ReporterForm):
    """What both report forms share: sections for rendering and the attachment field."""

    # (title, field names) for a well-sectioned single page.
    sections: Sequence[tuple[Any, Sequence[str]]] = ()
    # Fields that are sealed as identity (WBS) rather than as report content.
    identity_fields: Sequence[str] = ()
    # Fields of which at least one must be filled in (marked on the form before the reporter submits).
    one_of_required: Sequence[str] = ()
    required_css_class = "required"

    submission_token = forms.CharField(
        required=False,
        max_length=vault.HELD_TOKEN_MAX_CHARS,  # the files held under a token the form may send
        widget=forms.HiddenInput,
        help_text=_("Optional one-time token: the same form sent twice files only one report."),
        # A hidden field: the page shows this above the form, so it must say what to do.
        error_messages={"max_length": TOKEN_DAMAGED},
    )
    attachments = MultipleFileField(
        label=_("Evidence (photos, documents, audio, video)"),
        help_text=_(
            "Up to 20 files, 100 MB each. Location, author and device details are removed before the files are "
            "encrypted; a file that cannot be cleaned is refused unless you tick the box below."
        ),
    )
    send_uncleaned = send_uncleaned_field()
    voice_recordings = voice_recordings_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["submission_token"].initial = secrets.token_urlsafe(32)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.check_dates(cleaned)
        check_file_total(self, cleaned)
        return cleaned

    def section_list(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """Return the sections with their bound fields, for the template."""
        return [(title, [self[name] for name in names]) for title, names in self.sections]


class WbsReportForm(ReportForm):
    """A whistleblowing report following 5W1H (DOMAIN.md §2). Identity is optional and sealed separately."""

    title = _text(W["title"], required=True)
    violation_type = _choice(W["violation_type"])
    what = _textarea(W["what"], required=True, min_length=10)
    who_name = _text(W["who_name"])
    who_position = _text(W["who_position"])
    who_unit = _text(W["who_unit"])
    others_involved = _textarea(W["others_involved"], max_length=5_000)
    organisation = _organisation(W["organisation"], required=False)
    where = _text(W["where"], max_length=MEDIUM)
    when_date = _date(W["when_date"])
    when_period = _text(W["when_period"])
    how = _textarea(W["how"])
    estimated_loss = _rupiah(W["estimated_loss"])
    reported_elsewhere = _yes_no(W["reported_elsewhere"])
    reported_elsewhere_detail = _text(W["reported_elsewhere_detail"], max_length=MEDIUM)
    identity_name = _text(W["identity_name"])
    identity_nik = _text(W["identity_nik"], max_length=16, validators=[nik_validator])
    identity_address = _text(W["identity_address"], max_length=MEDIUM)
    identity_phone = _text(W["identity_phone"], max_length=24, validators=[phone_validator])
    identity_email = forms.EmailField(label=W["identity_email"].label, required=False, max_length=254)
    identity_occupation = _text(W["identity_occupation"])
    exclude_recipients = forms.TypedMultipleChoiceField(
        label=_("Staff who must not read this report"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Only if your report concerns staff of the Inspektorat: tick the people who receive reports and must "
            "not read yours. Their keys are not used for your report."
        ),
    )

    past_date_fields = ("when_date",)
    identity_fields = WBS_REPORT.identity_fields
    sections = WBS_REPORT.sections
    instance_fields = ("exclude_recipients",)  # its choices are set in __init__

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["exclude_recipients"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = list(roster().candidates)

    def identity(self) -> dict[str, str]:
        """Return the identity fields the reporter filled in (empty when anonymous)."""
        return {name: str(self.cleaned_data[name]) for name in self.identity_fields if self.cleaned_data.get(name)}


_ONE_OF_CONTACTS = _("Required: a mobile phone or an e-mail address (at least one of the two).")


class GratificationReportForm(ReportForm):
    """A gratification report (KPK form, DOMAIN.md §3): receipt or refusal; the recipient is identified."""

    report_type = forms.ChoiceField(
        label=G["report_type"].label, choices=G["report_type"].choices, initial="receipt", widget=forms.RadioSelect
    )
    # Recipient (the reporter).
    recipient_name = _text(G["recipient_name"], required=True)
    recipient_nik = _text(G["recipient_nik"], required=True, max_length=16, validators=[nik_validator])
    birth_place = _text(G["birth_place"], required=True)
    birth_date = _date(G["birth_date"], required=True)
    position = _text(G["position"], required=True)
    rank_grade = _text(G["rank_grade"])
    agency = _text(G["agency"], initial="Pemerintah Kota Semarang")
    organisation = _organisation(G["organisation"], required=True)
    email = forms.EmailField(label=G["email"].label, required=False, max_length=254, help_text=_ONE_OF_CONTACTS)
    phone_mobile = _text(G["phone_mobile"], max_length=24, validators=[phone_validator], help_text=_ONE_OF_CONTACTS)
    phone_home = _text(G["phone_home"], max_length=24, validators=[phone_validator])
    phone_office = _text(G["phone_office"], max_length=24, validators=[phone_validator])
    office_address = _text(G["office_address"], max_length=MEDIUM)
    sk_delivery = _choice(G["sk_delivery"])
    home_address = _text(G["home_address"], max_length=MEDIUM)
    # Gift.
    gift_type = _choice(G["gift_type"])
    gift_description = _textarea(G["gift_description"], required=True, max_length=5_000)
    value = _rupiah(G["value"], required=True)
    currency = forms.ChoiceField(label=G["currency"].label, choices=G["currency"].choices, initial="IDR")
    occasion = _choice(G["occasion"])
    occasion_detail = _text(G["occasion_detail"], max_length=MEDIUM)
    received_place = _text(G["received_place"], required=True, max_length=MEDIUM)
    received_on = _date(G["received_on"], required=True)
    # Giver.
    giver_name = _text(G["giver_name"], required=True)
    giver_occupation = _text(G["giver_occupation"])
    giver_relationship = _choice(G["giver_relationship"])
    giver_relationship_detail = _text(G["giver_relationship_detail"])
    giver_address = _text(G["giver_address"], max_length=MEDIUM)
    giver_phone = _text(G["giver_phone"], max_length=24, validators=[phone_validator])
    giver_email = forms.EmailField(label=G["giver_email"].label, required=False, max_length=254)
    # Reason, chronology, handling.
    reason = _textarea(G["reason"], required=True, max_length=10_000)
    chronology = _textarea(G["chronology"], required=True)
    notes = _textarea(G["notes"], max_length=5_000)
    compensation_willing = _yes_no(G["compensation_willing"])
    handed_to_upg = _yes_no(G["handed_to_upg"])
    handed_on = _date(G["handed_on"])
    handover_receipt = _text(G["handover_receipt"], max_length=100)
    storage_location = _text(G["storage_location"], max_length=MEDIUM)

    past_date_fields = ("birth_date", "received_on", "handed_on")
    one_of_required = ("phone_mobile", "email")
    sections = GRATIFICATION_REPORT.sections

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not (cleaned.get("phone_mobile") or cleaned.get("email") or self.has_error("phone_mobile")):
            self.add_error("phone_mobile", _("Give a mobile phone number or an e-mail address so we can reach you."))
        if cleaned.get("sk_delivery") == "home" and not cleaned.get("home_address"):
            self.add_error("home_address", _("Give the home address the decision should be sent to."))
        if cleaned.get("sk_delivery") == "email" and not cleaned.get("email") and not self.has_error("email"):
            self.add_error("email", _("Give the e-mail address the decision should be sent to."))
        if cleaned.get("handed_to_upg") and not cleaned.get("handed_on") and not self.has_error("handed_on"):
            self.add_error("handed_on", _("Give the date you handed the gift to the UPG."))
        handed_on, received_on = cleaned.get("handed_on"), cleaned.get("received_on")
        if handed_on and received_on and handed_on < received_on:
            self.add_error("handed_on", _("The hand-over cannot be before the gift was received."))
        birth_date = cleaned.get("birth_date")
        if birth_date and received_on and received_on < birth_date:
            self.add_error("received_on", _("The gift cannot have been received before your date of birth."))
        return cleaned


class ReceiptForm(ReporterForm):
    """The follow-up login: the 16-digit receipt, spaces and dashes allowed."""

    receipt = forms.CharField(
        label=_("Your receipt (16 digits)"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


class ReplyForm(ReporterForm):
    """A message from the reporter to the inspectorate."""

    body = _textarea(_("Your message"), required=True, max_length=10_000)


class SurveyForm(ReporterForm):
    """The satisfaction survey (SKM): one answer from 1 to 4 per element asked, and an optional comment.

    The elements and their words are data (``casework.SurveyElement``); the form is built from them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from casework.survey.selectors import survey_elements
        from casework.survey.services import MAX_COMMENT_CHARS

        super().__init__(*args, **kwargs)
        self.elements = survey_elements()
        for element in self.elements:
            self.fields[element.code] = forms.TypedChoiceField(
                label=f"{element.code}. {element.question}",
                choices=[(score, f"{score} – {text}") for score, text in enumerate(element.answers, start=1)],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Choose an answer from 1 to 4."),
                    "invalid_choice": _("An answer is a whole number from 1 to 4."),
                },
            )
        self.fields["comment"] = forms.CharField(
            label=_("Comment or suggestion (optional)"),
            help_text=_("Sealed like a message; read only by the inspectorate's supervisors, without your report."),
            required=False,
            max_length=MAX_COMMENT_CHARS,
            widget=forms.Textarea(attrs={"rows": 4}),
        )
        self.fields["comment"].validators.append(refuse_surrogates)

    def scores(self) -> dict[str, int]:
        """The validated scores per element code."""
        return {e.code: int(self.cleaned_data[e.code]) for e in self.elements}


class AttachmentForm(ReporterForm):
    """Files added to a report during follow-up: at least one."""

    attachments = MultipleFileField(
        label=_("Files"),
        help_text=_(
            "Location, author and device details are removed before the files are encrypted; a file that cannot "
            "be cleaned is refused unless you tick the box below."
        ),
    )
    send_uncleaned = send_uncleaned_field()
    voice_recordings = voice_recordings_field()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        if not any(cleaned.get(name) for name in FILE_FIELDS):
            self.add_error("attachments", _("Choose at least one file to add."))
        check_file_total(self, cleaned)
        return cleaned
