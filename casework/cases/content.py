"""The content of a report: its fields, their labels and choices, how it is split and sealed, how officers read it.

The sealed content is the reporter's cleaned form data keyed by field name (``split_report_data``). The
labels, choice names and sections of every field live here, once: the intake forms take them from here for
the reporter, and ``content_fields`` uses them to show the opened content to officers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.cases.models import CaseKind, GiftOccasion, GiftType, GiverRelationship, Organisation, ViolationType

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise as Label

# Form fields that are never report content: files are stored apart, exclusions are metadata, the token is
# the form's own. (Identity fields are content of their own, sealed apart: see ``split_report_data``.)
NOT_CONTENT = frozenset({"attachments", "exclude_recipients", "submission_token", "send_uncleaned", "voice_recordings"})
IDENTITY_PREFIX = "identity_"


@dataclass(frozen=True)
class ReportField:
    """One field of a report: its label and, for a choice, the names of its codes.

    ``long`` marks free text of several lines, ``date`` an ISO date; both say how the value is shown.
    """

    label: Label
    choices: Sequence[tuple[str, Label]] = ()
    long: bool = False
    date: bool = False


@dataclass(frozen=True)
class ReportLayout:
    """The fields of one kind of report, in sections, and which of them identify the reporter."""

    fields: Mapping[str, ReportField]
    sections: Sequence[tuple[Label, Sequence[str]]]
    identity_fields: Sequence[str] = ()


def _field(label: Label, **kwargs: Any) -> ReportField:
    return ReportField(label=label, **kwargs)


# The WBS reporter's optional identity, sealed apart from the report.
_WBS_IDENTITY = (
    "identity_name",
    "identity_nik",
    "identity_address",
    "identity_phone",
    "identity_email",
    "identity_occupation",
)


WBS_REPORT = ReportLayout(
    fields={
        "title": _field(_("Short title of the report")),
        "violation_type": _field(_("Type of violation"), choices=ViolationType.choices),
        "what": _field(_("What happened?"), long=True),
        "who_name": _field(_("Name of the person reported")),
        "who_position": _field(_("Their position")),
        "who_unit": _field(_("Their work unit")),
        "others_involved": _field(_("Other people involved"), long=True),
        "organisation": _field(_("Organisation concerned")),
        "where": _field(_("Where did it happen? (kecamatan/kelurahan, address, office)")),
        "when_date": _field(_("When did it happen? (date, if known)"), date=True),
        "when_period": _field(_("...or the period (e.g. March to May 2026)")),
        "how": _field(_("How was it done?"), long=True),
        "estimated_loss": _field(_("Estimated loss (Rp)")),
        "reported_elsewhere": _field(_("Have you reported this elsewhere?")),
        "reported_elsewhere_detail": _field(_("If yes: to whom and when?")),
        "identity_name": _field(_("Your name")),
        "identity_nik": _field(_("Your NIK")),
        "identity_address": _field(_("Your address")),
        "identity_phone": _field(_("Your phone number")),
        "identity_email": _field(_("Your e-mail address")),
        "identity_occupation": _field(_("Your occupation")),
    },
    sections=(
        (_("The report"), ("title", "violation_type", "what", "how")),
        (_("Who"), ("who_name", "who_position", "who_unit", "others_involved")),
        (_("Where and when"), ("organisation", "where", "when_date", "when_period")),
        (_("Loss and other reports"), ("estimated_loss", "reported_elsewhere", "reported_elsewhere_detail")),
        (_("Evidence"), ("attachments", "send_uncleaned", "voice_recordings")),
        (_("Your identity (optional, encrypted separately)"), _WBS_IDENTITY),
        (_("If the report concerns Inspektorat staff"), ("exclude_recipients",)),
    ),
    identity_fields=_WBS_IDENTITY,
)

GRATIFICATION_REPORT = ReportLayout(
    fields={
        "report_type": _field(
            _("What are you reporting?"),
            choices=[("receipt", _("I received a gift")), ("refusal", _("I refused a gift"))],
        ),
        # The recipient (the reporter).
        "recipient_name": _field(_("Full name")),
        "recipient_nik": _field(_("NIK")),
        "birth_place": _field(_("Place of birth")),
        "birth_date": _field(_("Date of birth"), date=True),
        "position": _field(_("Position (jabatan)")),
        "rank_grade": _field(_("Rank and grade (pangkat/golongan)")),
        "agency": _field(_("Agency")),
        "organisation": _field(_("Work unit (OPD)")),
        "email": _field(_("E-mail address")),
        "phone_mobile": _field(_("Mobile phone")),
        "phone_home": _field(_("Home phone")),
        "phone_office": _field(_("Office phone")),
        "office_address": _field(_("Office address")),
        "sk_delivery": _field(
            _("Where should the KPK decision (SK) be sent?"),
            choices=[("office", _("Office address")), ("home", _("Home address")), ("email", _("E-mail"))],
        ),
        "home_address": _field(_("Home address (if the SK goes there)")),
        # The gift.
        "gift_type": _field(_("Type of gift"), choices=GiftType.choices),
        "gift_description": _field(_("Describe the gift"), long=True),
        "value": _field(_("Value or estimate")),
        "currency": _field(
            _("Currency"),
            choices=[("IDR", "Rp (IDR)"), ("USD", "USD"), ("SGD", "SGD"), ("EUR", "EUR"), ("OTHER", _("Other"))],
        ),
        "occasion": _field(_("Occasion"), choices=GiftOccasion.choices),
        "occasion_detail": _field(_("Occasion in your words")),
        "received_place": _field(_("Where was it given or offered?")),
        "received_on": _field(_("Date it was given or offered"), date=True),
        # The giver.
        "giver_name": _field(_("Giver's name")),
        "giver_occupation": _field(_("Giver's occupation or position")),
        "giver_relationship": _field(_("Giver's relationship to you"), choices=GiverRelationship.choices),
        "giver_relationship_detail": _field(_("Relationship in your words")),
        "giver_address": _field(_("Giver's address")),
        "giver_phone": _field(_("Giver's phone")),
        "giver_email": _field(_("Giver's e-mail")),
        # Reason, chronology, handling.
        "reason": _field(_("Why was the gift given?"), long=True),
        "chronology": _field(_("Chronology"), long=True),
        "notes": _field(_("Other notes"), long=True),
        "compensation_willing": _field(
            _("If the gift becomes state property, would you rather pay its value and keep it?")
        ),
        "handed_to_upg": _field(_("Have you handed the gift to the UPG?")),
        "handed_on": _field(_("Date handed over"), date=True),
        "handover_receipt": _field(_("Hand-over receipt number")),
        "storage_location": _field(_("Where is the gift kept now?")),
    },
    sections=(
        (_("Receipt or refusal"), ("report_type",)),
        (
            _("You, the recipient"),
            (
                "recipient_name",
                "recipient_nik",
                "birth_place",
                "birth_date",
                "position",
                "rank_grade",
                "agency",
                "organisation",
                "email",
                "phone_mobile",
                "phone_home",
                "phone_office",
                "office_address",
                "sk_delivery",
                "home_address",
            ),
        ),
        (
            _("The gift"),
            (
                "gift_type",
                "gift_description",
                "value",
                "currency",
                "occasion",
                "occasion_detail",
                "received_place",
                "received_on",
            ),
        ),
        (
            _("The giver"),
            (
                "giver_name",
                "giver_occupation",
                "giver_relationship",
                "giver_relationship_detail",
                "giver_address",
                "giver_phone",
                "giver_email",
            ),
        ),
        (_("Reason and chronology"), ("reason", "chronology", "notes")),
        (_("Documents"), ("attachments", "send_uncleaned", "voice_recordings")),
        (
            _("Handling of the gift"),
            ("compensation_willing", "handed_to_upg", "handed_on", "handover_receipt", "storage_location"),
        ),
    ),
)

LAYOUTS: dict[CaseKind, ReportLayout] = {CaseKind.WBS: WBS_REPORT, CaseKind.GRATIFICATION: GRATIFICATION_REPORT}


# --- Sealing: cleaned form data -> content and identity ----------------------------------------------------
def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Organisation):
        return {"code": value.code, "name": value.name}
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def split_report_data(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (content, identity) from a report form's cleaned data, as JSON-ready dicts.

    Fields in ``NOT_CONTENT`` are dropped; ``identity_*`` fields go to the identity (without the prefix, empty
    values dropped), which the vault seals under its own key.
    """
    content: dict[str, Any] = {}
    identity: dict[str, Any] = {}
    for name, value in data.items():
        if name in NOT_CONTENT:
            continue
        if name.startswith(IDENTITY_PREFIX):
            if value not in (None, ""):
                identity[name.removeprefix(IDENTITY_PREFIX)] = _jsonable(value)
        else:
            content[name] = _jsonable(value)
    return content, identity


# --- Reading: opened content -> labelled rows for officers ------------------------------------------------
@dataclass(frozen=True)
class ContentField:
    """One field of the report as the officer reads it: the field's label and a display value."""

    name: str
    label: str
    value: str
    long: bool


def _display(field: ReportField | None, value: Any) -> str:
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, Mapping):
        return str(value.get("name") or value.get("code") or "")
    if isinstance(value, list | tuple):
        return ", ".join(_display(field, item) for item in value)
    if field is not None and field.choices:
        choices = {str(key): label for key, label in field.choices}
        if str(value) in choices:
            return str(choices[str(value)])
    if field is not None and field.date and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d-%m-%Y")
        except ValueError:
            return value
    return str(value)


def content_fields(kind: CaseKind, content: Mapping[str, Any]) -> list[ContentField]:
    """Return the filled-in fields of ``content`` in the layout's order, with their (translated) labels.

    Keys the layout does not know (older or newer forms) are shown under their key, so nothing is hidden.
    Identity fields are never shown here.
    """
    layout = LAYOUTS[kind]
    order = [name for _title, names in layout.sections for name in names]
    order += [name for name in content if name not in order and name != "language"]
    rows = []
    for name in order:
        if name in NOT_CONTENT or name in layout.identity_fields or name not in content:
            continue
        value = content[name]
        if value in (None, "", [], {}):
            continue
        field = layout.fields.get(name)
        label = str(field.label) if field is not None else name
        rows.append(ContentField(name=name, label=label, value=_display(field, value), long=bool(field and field.long)))
    language = content.get("language")
    if language:
        names = dict(settings.LANGUAGES)
        rows.append(
            ContentField(
                name="language",
                label=gettext("Language of the report"),
                value=str(names[language]) if language in names else str(language),
                long=False,
            )
        )
    return rows


def identity_fields(kind: CaseKind, identity: Mapping[str, Any]) -> list[ContentField]:
    """Return the reporter's identity (as sealed: names without the ``identity_`` prefix) with its labels.

    Only for a disclosed identity; the layout's order, then any field it does not know under its key.
    """
    layout = LAYOUTS[kind]
    rows = []
    known = [name.removeprefix(IDENTITY_PREFIX) for name in layout.identity_fields]
    for name in known + [name for name in identity if name not in known]:
        value = identity.get(name)
        if value in (None, ""):
            continue
        field = layout.fields.get(IDENTITY_PREFIX + name)
        label = str(field.label) if field is not None else name
        rows.append(ContentField(name=name, label=label, value=_display(field, value), long=False))
    return rows
