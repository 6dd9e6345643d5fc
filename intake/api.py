"""The reporter's JSON API (django-ninja) under ``/api/v1/``; OpenAPI document at ``/api/v1/openapi.json``.

The API binds the same Django forms and calls the same services as the web pages, so validation and
behaviour are identical; messages follow ``Accept-Language`` (Indonesian by default).

CSRF: the API is for non-browser clients. It sets and reads no cookie (follow-up calls carry the receipt in
the ``X-Peluit-Receipt`` header), so there is no ambient credential a cross-site page could abuse, and its
operations are exempt from Django's CSRF check explicitly (``csrf_exempt`` on every operation).
"""

# No ``from __future__ import annotations`` here: django-ninja reads the parameter annotations at runtime.
import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django import forms
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field

from casework.cases.models import Channel
from casework.survey.selectors import survey_elements
from casework.survey.services import SurveyRefused
from intake import services
from intake.attachments import uncleanable_message
from intake.form_schema import NOT_BLANK_PATTERN, multipart_body
from intake.forms import (
    FILE_FIELDS,
    AttachmentForm,
    GratificationReportForm,
    ReplyForm,
    ReportForm,
    WbsReportForm,
)
from intake.recipients import roster
from intake.throttle import Throttled, receipt_attempt
from vault import services as vault
from vault.exceptions import FollowupExpired, NotSetUp, UnknownReceipt

RECEIPT_HEADER = "X-Peluit-Receipt"


def activate_request_language(request: HttpRequest) -> None:
    """Speak the client's language (``Accept-Language``; Indonesian by default).

    Outside ``i18n_patterns`` Django's LocaleMiddleware would always pick the default language, because the
    site's URLs carry no prefix for it; the API has no URL prefix for languages, so the header decides.
    """
    translation.activate(translation.get_language_from_request(request))


def speaks_client_language(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate an API operation so its messages follow the client's ``Accept-Language``."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        activate_request_language(request)
        return view(request, *args, **kwargs)

    return wrapper


class ReporterApi(NinjaAPI):
    """NinjaAPI whose form-bound operations document their request body from the Django form."""

    def on_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse:  # type: ignore[override]
        activate_request_language(request)
        return super().on_exception(request, exc)

    # operationId -> form class whose fields make the multipart request body.
    form_bodies: dict[str, type[forms.Form]] = {}

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                form_class = self.form_bodies.get(operation.get("operationId", ""))
                if form_class is not None:
                    operation["requestBody"] = multipart_body(form_class())
        return schema


api = ReporterApi(
    title="Peluit reporter API",
    version="1",
    description=(
        "Submit whistleblowing (WBS) and gratification reports and follow them up with the 16-digit receipt. "
        "No account and no cookies: follow-up calls carry the receipt in the X-Peluit-Receipt header. "
        "Messages are in Indonesian or English according to Accept-Language."
    ),
    docs_url=None,  # the interactive docs page loads scripts from a CDN; reporters' pages never do
    urls_namespace="api-v1",
)


class ErrorOut(Schema):
    """A refused request: a message for people and, for form errors, the messages per field."""

    detail: str
    errors: dict[str, list[str]] = Field(default_factory=dict)


class SubmissionOut(Schema):
    """A stored report. The receipt is returned once and can never be recovered."""

    receipt: str = Field(description="16 digits; keep it secret and safe, it is the only key to the report.")
    receipt_formatted: str = Field(description="The receipt grouped 4-4-4-4.")
    case_number: str
    warnings: list[str] = Field(description="E.g. that a gift looks exempt from reporting; never an error.")
    uncleaned_files: list[str] = Field(
        description=(
            "Files that could not be cleaned of location, author or device details and were stored as they came, "
            "because send_uncleaned was true. Empty otherwise."
        )
    )


class MessageOut(Schema):
    """A message on the report; inspectorate messages are signed "Inspektorat", never with a name."""

    sender: str
    from_reporter: bool
    created_at: datetime
    body: str


class AttachmentOut(Schema):
    """A file on the report."""

    name: str
    size: int
    created_at: datetime
    metadata_removed: bool = Field(
        description="False for a file that could not be cleaned and was sent as it came (send_uncleaned)."
    )


class SurveyElementOut(Schema):
    """One question of the satisfaction survey and the words for the answers 1 to 4."""

    code: str
    question: str
    answers: list[str] = Field(description="Four answers, for the scores 1 (worst) to 4 (best).")


class SurveyOut(Schema):
    """The satisfaction survey (SKM), offered once the report's handling is finished."""

    open: bool = Field(description="True when the report is closed and its survey not yet answered.")
    elements: list[SurveyElementOut] = Field(description="Empty when the survey is not open.")


class SurveyIn(Schema):
    """An answer to the satisfaction survey: a score from 1 to 4 for every element, an optional comment."""

    scores: dict[str, Any] = Field(description='Element code → whole number 1-4, e.g. {"U1": 4, "U2": 3, ...}.')
    comment: str = Field(default="", description="Optional, at most 2000 characters; sealed.")


class FollowupOut(Schema):
    """What the reporter may see of their report."""

    case_number: str
    kind: str
    status: str
    status_label: str
    received_at: datetime
    messages: list[MessageOut]
    attachments: list[AttachmentOut]
    survey: SurveyOut


class RecipientOut(Schema):
    """A staff member who may handle reports and whom a reporter may exclude (``exclude_recipients``)."""

    id: int
    name: str


class ReplyIn(Schema):
    """A message from the reporter."""

    body: str = Field(
        description="1 to 10000 characters, not only spaces.",
        # Documented only: the reply form checks these and answers with a field-level message.
        json_schema_extra={"minLength": 1, "maxLength": 10_000, "pattern": NOT_BLANK_PATTERN},
    )


RECEIPT_PARAMETER = {
    "parameters": [
        {
            "name": RECEIPT_HEADER,
            "in": "header",
            "required": True,
            "description": "The 16-digit receipt (spaces or dashes allowed).",
            "schema": {"type": "string", "maxLength": 40},
        }
    ]
}
# 413: text fields over DATA_UPLOAD_MAX_MEMORY_SIZE (answered by config.views.bad_request, JSON under /api/).
SUBMIT_RESPONSES: dict[int, Any] = {
    201: SubmissionOut,
    400: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    429: ErrorOut,
    503: ErrorOut,
}
FOLLOWUP_RESPONSES: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 413: ErrorOut, 429: ErrorOut}


class MissingReceipt(Exception):
    """A follow-up call without the ``X-Peluit-Receipt`` header (not a wrong receipt: nothing was tried)."""


API_TOKEN_TOO_LONG = gettext_lazy(
    "submission_token may be at most 64 characters (a one-time value the client chooses, for example 32 random "
    "URL-safe characters). Nothing has been saved."
)


def _form_errors(form: forms.Form) -> dict[str, list[str]]:
    errors = {name: [str(message) for message in messages] for name, messages in form.errors.items()}
    if form.has_error("submission_token", "max_length"):
        # The page's wording asks a person to open the form again; a program is told what to send instead.
        errors["submission_token"] = [str(API_TOKEN_TOO_LONG)]
    return errors


def _invalid(form: forms.Form) -> Status[dict[str, Any]]:
    detail = _("Please correct the fields listed in errors. Nothing has been saved.")
    return Status(400, {"detail": detail, "errors": _form_errors(form)})


def _rejected(exc: services.SubmissionRejected) -> Status[dict[str, Any]]:
    """The 400 for a refused submission. Files that cannot be cleaned are refused pointing to the API's
    ``send_uncleaned`` field, not to the forms' checkbox that the services' message names."""
    message = uncleanable_message(exc.uncleanable, api=True) if exc.uncleanable else exc.message
    return Status(400, {"detail": message, "errors": {exc.field: [message]}})


def _parts_of_the_wrong_kind(request: HttpRequest) -> Status[dict[str, Any]] | None:
    """Refuse file fields sent as text parts and text fields sent as file parts (a part with a file name).

    A form would silently ignore either: a report would be stored without the files, or without a field the
    client believes it sent (``exclude_recipients`` sent as a file would seal the report to the very staff
    member the reporter meant to exclude).
    """
    as_text = [name for name in FILE_FIELDS if name in request.POST]
    as_files = [name for name in request.FILES if name not in FILE_FIELDS]
    if not as_text and not as_files:
        return None
    files_message = _("Send attachments as files (multipart/form-data parts with a file name), not as text.")
    text_message = _("Send this field as text (a multipart/form-data part without a file name), not as a file.")
    detail = _("Please correct the fields listed in errors. Nothing has been saved.")
    errors = {name: [files_message] for name in as_text} | {name[:100]: [text_message] for name in as_files}
    return Status(400, {"detail": detail, "errors": errors})


def _submit(request: HttpRequest, form_class: type[ReportForm], submit: Any) -> Status[dict[str, Any]]:
    refused = _parts_of_the_wrong_kind(request)
    if refused is not None:
        return refused
    form = form_class(request.POST, request.FILES, shared_fields=True)  # validated, never shown
    if not form.is_valid():
        return _invalid(form)
    data = dict(form.cleaned_data)
    attachments, voice_recordings = data.pop("attachments", []), data.pop("voice_recordings", [])
    try:
        submission = submit(data=data, attachments=attachments, voice_recordings=voice_recordings, channel=Channel.API)
    except services.SubmissionRejected as exc:
        return _rejected(exc)
    except services.AlreadySubmitted as exc:
        return Status(409, {"detail": exc.message, "errors": {}})
    return Status(
        201,
        {
            "receipt": submission.receipt,
            "receipt_formatted": submission.formatted_receipt,
            "case_number": submission.case.number,
            "warnings": submission.warnings,
            "uncleaned_files": submission.uncleaned_files,
        },
    )


@api.post(
    "/reports/wbs",
    operation_id="submit_wbs_report",
    summary="Submit a whistleblowing (WBS) report",
    response=SUBMIT_RESPONSES,
    tags=["reports"],
)
@csrf_exempt
@speaks_client_language
def submit_wbs_report(request: HttpRequest) -> Status[dict[str, Any]]:
    """Submit a WBS report (multipart/form-data, the fields of the web form). Identity fields are optional."""
    return _submit(request, WbsReportForm, services.submit_wbs_report)


@api.post(
    "/reports/gratification",
    operation_id="submit_gratification_report",
    summary="Submit a gratification report (receipt or refusal)",
    response=SUBMIT_RESPONSES,
    tags=["reports"],
)
@csrf_exempt
@speaks_client_language
def submit_gratification_report(request: HttpRequest) -> Status[dict[str, Any]]:
    """Submit a gratification report (multipart/form-data, the fields of the KPK form)."""
    return _submit(request, GratificationReportForm, services.submit_gratification_report)


@api.get(
    "/reports/recipients",
    operation_id="list_wbs_intake_recipients",
    summary="List the staff who may handle WBS reports (to exclude some of them)",
    response={200: list[RecipientOut], 400: ErrorOut, 429: ErrorOut},
    tags=["reports"],
)
@csrf_exempt
@speaks_client_language
def list_wbs_intake_recipients(request: HttpRequest) -> Status[list[dict[str, Any]]]:
    """Return the officers and supervisors a WBS reporter may exclude, by display name."""
    return Status(200, [{"id": pk, "name": name} for pk, name in roster().candidates])


ReporterApi.form_bodies = {
    "submit_wbs_report": WbsReportForm,
    "submit_gratification_report": GratificationReportForm,
    "add_followup_attachments": AttachmentForm,
}


def _access(request: HttpRequest) -> vault.ReporterAccess:
    """Return the reporter access for the receipt header (throttled, audited); ``MissingReceipt`` without one."""
    receipt = request.headers.get(RECEIPT_HEADER, "").strip()
    if not receipt:
        raise MissingReceipt()
    with receipt_attempt(request):
        return services.open_followup(receipt=receipt, channel="api")


def _followup_out(access: vault.ReporterAccess) -> dict[str, Any]:
    view = services.followup_overview(access=access)
    services.followup_mark_read(view=view)  # returned now: the Inspektorat's messages are read by the reporter
    return {
        "case_number": view.number,
        "kind": view.kind,
        "status": view.status.value,
        "status_label": str(view.status.label),
        "received_at": view.received_at,
        "messages": [
            {"sender": m.sender, "from_reporter": m.from_reporter, "created_at": m.created_at, "body": m.body}
            for m in view.messages
        ],
        "attachments": [
            {"name": a.name, "size": a.size, "created_at": a.created_at, "metadata_removed": a.metadata_removed}
            for a in view.attachments
        ],
        "survey": {
            "open": view.survey_open,
            "elements": [
                {"code": e.code, "question": e.question, "answers": e.answers}
                for e in (survey_elements() if view.survey_open else [])
            ],
        },
    }


@api.get(
    "/followup",
    operation_id="get_followup",
    summary="Read the report's status, messages and files",
    response={200: FollowupOut, **FOLLOWUP_RESPONSES},
    openapi_extra=RECEIPT_PARAMETER,
    tags=["follow-up"],
)
@csrf_exempt
@speaks_client_language
def get_followup(request: HttpRequest) -> Status[dict[str, Any]]:
    """Return the coarse status, the messages and the files of the report the receipt opens."""
    return Status(200, _followup_out(_access(request)))


@api.post(
    "/followup/messages",
    operation_id="post_followup_message",
    summary="Send a message to the Inspektorat",
    response={201: FollowupOut, **FOLLOWUP_RESPONSES},
    openapi_extra=RECEIPT_PARAMETER,
    tags=["follow-up"],
)
@csrf_exempt
@speaks_client_language
def post_followup_message(request: HttpRequest, payload: ReplyIn) -> Status[dict[str, Any]]:
    """Add a message to the report; returns the updated inbox."""
    access = _access(request)
    form = ReplyForm({"body": payload.body})
    if not form.is_valid():
        return _invalid(form)
    services.post_reporter_message(access=access, body=form.cleaned_data["body"])
    return Status(201, _followup_out(access))


@api.post(
    "/followup/attachments",
    operation_id="add_followup_attachments",
    summary="Add files to the report",
    response={201: FollowupOut, **FOLLOWUP_RESPONSES},
    openapi_extra=RECEIPT_PARAMETER,
    tags=["follow-up"],
)
@csrf_exempt
@speaks_client_language
def add_followup_attachments(request: HttpRequest) -> Status[dict[str, Any]]:
    """Add files (multipart/form-data: ``attachments``, and ``voice_recordings`` of the reporter's own voice,
    which are disguised); metadata is removed before encryption. At least one file.

    A file that cannot be cleaned is refused (400, the message names it) unless ``send_uncleaned`` is true.
    """
    access = _access(request)
    refused = _parts_of_the_wrong_kind(request)
    if refused is not None:
        return refused
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _invalid(form)
    try:
        services.add_reporter_attachment(
            access=access,
            attachments=form.cleaned_data["attachments"],
            voice_recordings=form.cleaned_data["voice_recordings"],
            send_uncleaned=form.cleaned_data["send_uncleaned"],
        )
    except services.SubmissionRejected as exc:
        return _rejected(exc)
    return Status(201, _followup_out(access))


@api.post(
    "/followup/survey",
    operation_id="answer_survey",
    summary="Answer the satisfaction survey (once, after the report is closed)",
    response={201: ErrorOut, 409: ErrorOut, **FOLLOWUP_RESPONSES},
    openapi_extra=RECEIPT_PARAMETER,
    tags=["follow-up"],
)
@csrf_exempt
@speaks_client_language
def answer_survey(request: HttpRequest, payload: SurveyIn) -> Status[dict[str, Any]]:
    """Store the answer without any link to the report (201). 400: a score missing, out of 1-4 or for an unknown
    element, or a comment too long; 409: the report is not closed yet, or its survey was already answered."""
    access = _access(request)
    try:
        services.answer_survey(access=access, scores=payload.scores, comment=payload.comment)
    except SurveyRefused as exc:
        errors = {name: [message] for name, message in exc.errors.items()}
        return Status(exc.status, {"detail": exc.message, "errors": errors})
    return Status(201, {"detail": _("Thank you for answering the satisfaction survey."), "errors": {}})


# --- Errors: always a localised message, never a stack trace -----------------------------------------------
def _error_response(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": {}}, status=status)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _on_database_fault(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Not answered here: Django's error handler (config/faults.py) gives pages and API the same 503."""
    raise exc


@api.exception_handler(NinjaValidationError)
def _on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    """400 naming each field the schema refused (missing, or of the wrong type), in the client's language."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        # ("body", "payload", "body"): where it came from, the operation's parameter, then the field's path.
        path = [str(part) for part in error.get("loc", ())[2:]]
        if path:
            missing = error.get("type") == "missing"
            errors.setdefault(".".join(path)[:100], []).append(
                _("This field is required.") if missing else _("Enter a valid value.")
            )
    detail = _("The request could not be understood. Check the fields and try again.")
    return api.create_response(request, {"detail": detail, "errors": errors}, status=400)


@api.exception_handler(HttpError)
def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 404:
        return _error_response(request, 404, _("There is nothing at this address."))
    return _error_response(
        request, exc.status_code, _("The request could not be understood. Check the fields and try again.")
    )


@api.exception_handler(MultiPartParserError)
def _on_broken_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    return _error_response(request, 400, _("The request could not be understood. Check the fields and try again."))


@api.exception_handler(MissingReceipt)
def _on_missing_receipt(request: HttpRequest, exc: MissingReceipt) -> HttpResponse:
    response = _error_response(
        request, 401, _("Send your 16-digit receipt in the X-Peluit-Receipt header to follow up a report.")
    )
    response["WWW-Authenticate"] = f'{RECEIPT_HEADER} realm="follow-up"'
    return response


@api.exception_handler(UnknownReceipt)
def _on_unknown_receipt(request: HttpRequest, exc: UnknownReceipt) -> HttpResponse:
    return _error_response(request, 403, str(exc.message))


@api.exception_handler(FollowupExpired)
def _on_followup_expired(request: HttpRequest, exc: FollowupExpired) -> HttpResponse:
    return _error_response(request, 403, str(exc.message))


@api.exception_handler(Throttled)
def _on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = _error_response(request, 429, str(exc.message))
    response["Retry-After"] = str(int(exc.retry_after))
    return response


@api.exception_handler(NotSetUp)
def _on_not_set_up(request: HttpRequest, exc: NotSetUp) -> HttpResponse:
    return _error_response(request, 503, _("Reports cannot be received right now. Please try again later."))
