"""JSON Schema for a Django form, so the OpenAPI document describes exactly what the form validates.

The API binds the same forms as the web pages; this module turns a form's fields into the request-body
schema of the operation that binds it, at the time the document is generated (choices come from the
database then).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone

from intake.attachments import max_attachments
from intake.forms import FILE_FIELDS, AttachmentForm, GratificationReportForm, MultipleFileField

DECIMAL_PATTERN = r"^[0-9]{1,16}(\.[0-9]{1,2})?$"
# Django's CharField refuses NUL characters and strips surrounding whitespace before checking "required".
NO_NUL_PATTERN = r"^[^\x00]*$"
NOT_BLANK_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"


def _regex_pattern(field: forms.Field) -> str | None:
    """Return the JSON Schema pattern of the field's regex validator, if it has one (optional: may be empty)."""
    for validator in field.validators:
        if isinstance(validator, RegexValidator) and not validator.inverse_match:
            regex = validator.regex
            pattern = (regex if isinstance(regex, str) else regex.pattern).replace("\\Z", "$")
            return pattern if field.required else f"^$|{pattern}"
    return None


def _digits_upto(limit: str) -> str:
    """Return a regex for strings of ``len(limit)`` digits whose value is at most ``limit``."""
    if not limit:
        return ""
    head, rest = int(limit[0]), limit[1:]
    alternatives = [f"[0-{head - 1}]" + "[0-9]" * len(rest)] if head > 0 else []
    alternatives.append(limit[0] + _digits_upto(rest))
    return "(?:" + "|".join(alternatives) + ")"


def _year_upto(year: int) -> str:
    """Return a regex for four-digit years from 0001 (there is no year 0000) to ``year`` (at least 1000)."""
    limit = f"{year:04d}"
    head = int(limit[0])
    alternatives = ["000[1-9]", "00[1-9][0-9]", "0[1-9][0-9]{2}"]
    if head > 1:
        alternatives.append(f"[1-{head - 1}][0-9]{{3}}")
    alternatives.append(limit[0] + _digits_upto(limit[1:]))
    return "(?:" + "|".join(alternatives) + ")"


def not_after_pattern(day: date) -> str:
    """Return a regex for ISO dates (YYYY-MM-DD) from 0001-01-01 to ``day`` (a day after the year 1000)."""
    any_month, any_day = "(?:0[1-9]|1[0-2])", "(?:0[1-9]|[12][0-9]|3[01])"
    parts = []
    if day.year > 1000:
        parts.append(f"{_year_upto(day.year - 1)}-{any_month}-{any_day}")
    if day.month > 1:
        months = "|".join(f"{m:02d}" for m in range(1, day.month))
        parts.append(f"{day.year:04d}-(?:{months})-{any_day}")
    days = "|".join(f"{d:02d}" for d in range(1, day.day + 1))
    parts.append(f"{day.year:04d}-{day.month:02d}-(?:{days})")
    return "^(?:" + "|".join(parts) + ")$"


def _choices(field: forms.ChoiceField) -> list[str]:
    return [str(value) for value, _label in field.choices if value != ""]  # type: ignore[misc,union-attr]


def field_schema(field: forms.Field) -> dict[str, Any]:
    """Return the JSON Schema of one form field as it travels in a multipart or urlencoded body."""
    schema: dict[str, Any]
    if isinstance(field, MultipleFileField):
        schema = {"type": "array", "items": {"type": "string", "format": "binary"}, "maxItems": max_attachments()}
    elif isinstance(field, forms.ModelChoiceField):
        values = [str(getattr(obj, field.to_field_name or "pk")) for obj in field.queryset]  # type: ignore[union-attr]
        schema = {"type": "string", "enum": values} if values else {"type": "string"}
    elif isinstance(field, forms.MultipleChoiceField):
        # Repeated values are accepted (and count once), so the document does not promise uniqueItems.
        schema = {"type": "array", "items": {"type": "string", "enum": _choices(field)}}
        if not _choices(field):
            schema["maxItems"] = 0
    elif isinstance(field, forms.ChoiceField):
        schema = {"type": "string", "enum": _choices(field)}
    elif isinstance(field, forms.BooleanField):
        # A multipart text part: "true" or "false" (absent means false).
        schema = {"type": "boolean"}
    elif isinstance(field, forms.DateField):
        schema = {"type": "string", "format": "date"}
    elif isinstance(field, forms.DecimalField):
        schema = {"type": "string", "pattern": DECIMAL_PATTERN if field.required else f"^$|{DECIMAL_PATTERN}"}
    elif isinstance(field, forms.EmailField):
        schema = {"type": "string", "format": "email", "maxLength": field.max_length or 254}
    else:
        schema = {"type": "string"}
        if isinstance(field, forms.CharField):
            if field.max_length:
                schema["maxLength"] = field.max_length
            if field.min_length and field.required:
                schema["minLength"] = field.min_length
            regex = _regex_pattern(field)
            if regex is not None:
                schema["pattern"] = regex
            elif field.required:
                schema["pattern"] = NOT_BLANK_PATTERN
            else:
                schema["pattern"] = NO_NUL_PATTERN
    if field.required and schema.get("type") == "string" and "enum" not in schema:
        schema.setdefault("minLength", 1)
    if not field.required and "format" in schema:
        # An optional field may travel empty (not given), which no date or e-mail format allows.
        schema = {"anyOf": [{"type": "string", "maxLength": 0}, schema]}
    description = str(field.label or "")
    if field.help_text:
        description = f"{description}. {field.help_text}" if description else str(field.help_text)
    if description:
        schema["description"] = description
    return schema


def _given(name: str, **constraints: Any) -> dict[str, Any]:
    """Return a schema that requires ``name`` to be present with ``constraints`` (by default: not blank)."""
    return {"required": [name], "properties": {name: constraints or {"pattern": NOT_BLANK_PATTERN}}}


def _when(name: str, values: list[str], then: dict[str, Any]) -> dict[str, Any]:
    """Return a schema: if ``name`` is one of ``values``, ``then`` must hold (``name`` absent: no condition)."""
    others = {"properties": {name: {"not": {"enum": values}}}}
    return {"anyOf": [others, then]}


def _cross_field_rules(form: forms.Form) -> list[dict[str, Any]]:
    """Return the rules the form's ``clean`` checks across fields, as far as JSON Schema can state them.

    What it cannot state (a hand-over date before the gift date, a date in the future, a file's content) is
    said in the field descriptions and answered with a field-level 400.
    """
    if isinstance(form, AttachmentForm):
        at_least_one = [{"required": [name], "properties": {name: {"minItems": 1}}} for name in FILE_FIELDS]
        return [{"anyOf": at_least_one}]
    if not isinstance(form, GratificationReportForm):
        return []
    return [
        {"anyOf": [_given("phone_mobile", minLength=1), _given("email", minLength=1)]},
        _when("sk_delivery", ["home"], _given("home_address")),
        _when("sk_delivery", ["email"], _given("email", minLength=1)),
        _when("handed_to_upg", ["yes"], _given("handed_on", minLength=1)),
    ]


def form_schema(form: forms.Form) -> dict[str, Any]:
    """Return the JSON Schema object (properties, required names, cross-field rules) of ``form``."""
    properties = {name: field_schema(field) for name, field in form.fields.items()}
    required = [name for name, field in form.fields.items() if field.required]
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    for name in getattr(form, "past_date_fields", ()):
        # The form refuses dates after today (in the inspectorate's time zone).
        target = properties[name]
        dated = target["anyOf"][1] if "anyOf" in target else target
        dated["pattern"] = not_after_pattern(timezone.localdate())
    rules = _cross_field_rules(form)
    if rules:
        schema["allOf"] = rules
    return schema


def multipart_body(form: forms.Form) -> dict[str, Any]:
    """Return an OpenAPI ``requestBody`` for ``form`` sent as multipart/form-data."""
    schema = form_schema(form)
    encoding = {
        name: {"style": "form", "explode": True}
        for name, prop in schema["properties"].items()
        if prop.get("type") == "array"
    }
    content: dict[str, Any] = {"schema": schema}
    if encoding:
        content["encoding"] = encoding
    return {"required": True, "content": {"multipart/form-data": content}}
