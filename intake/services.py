"""The reporter's use cases: submit a report, log in with the receipt, read and reply, add files.

Each writer is one transaction: the case number, the vault's sealed keys, the sealed content, the attachment
records, the acknowledgement and the audit event commit together or not at all. Encrypted blobs written to
storage before a failure are deleted again, so nothing is left half-sealed.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.clock import now as clock_now
from audit.clock import reporter_time
from audit.inserts import insert_rows, new_row
from audit.services import batch as audit_batch
from audit.services import record as audit_record
from casework.cases import sealed
from casework.cases.content import split_report_data
from casework.cases.gratification import Gift, gift_warnings
from casework.cases.models import RECORDED_CHANNELS
from casework.cases.numbers import allocate_case_number
from casework.cases.services import mark_thread_read
from casework.cases.threads import Reader, Thread, ThreadView, open_thread
from casework.models import (
    INITIAL_STATUS,
    Case,
    CaseAttachment,
    CaseKind,
    CaseMessage,
    Channel,
    PublicStatus,
    StaffUser,
    gift_value_band,
)
from casework.survey.selectors import survey_open_for
from casework.survey.services import survey_submit
from casework.workflow.calendar import Deadlines, deadlines, recent_deadlines
from casework.workflow.clocks import initial_clocks, save_initial_clocks
from intake.attachments import (
    CleanAttachment,
    RejectedAttachment,
    check_attachment_count,
    inspect_and_clean,
    uncleanable_message,
)
from intake.busy import run_in_transaction
from intake.held import HeldSelection
from intake.models import SubmissionToken
from intake.recipients import roster
from intake.voice import VoiceBudget
from vault import services as vault
from vault.exceptions import UnknownReceipt

# How long a spent form token is remembered.
TOKEN_MEMORY = timedelta(days=2)


class SubmissionRejected(Exception):
    """The submission cannot be accepted (e.g. an attachment was refused); nothing was stored.

    ``uncleanable`` names the files refused because they cannot be cleaned: ``message`` then points to the forms'
    checkbox, and the JSON API words its own (``uncleanable_message(..., api=True)``).
    """

    def __init__(self, message: str, *, field: str = "attachments", uncleanable: Sequence[str] = ()) -> None:
        self.message = message
        self.field = field
        self.uncleanable = list(uncleanable)
        super().__init__(message)


class AlreadySubmitted(Exception):
    """The same form (one-time token) was sent before; nothing new was stored."""

    def __init__(self) -> None:
        self.message = _(
            "This report has already been sent. For your safety its receipt is shown only once. If you did not "
            "write it down, you can send the report again from a new form."
        )
        super().__init__(self.message)


@dataclass(frozen=True)
class Submission:
    """A stored report and what the reporter must be shown once."""

    case: Case
    receipt: str
    warnings: list[str] = field(default_factory=list)
    # Files the cleaner could not clean, sent as they are at the reporter's request (shown on the receipt).
    uncleaned_files: list[str] = field(default_factory=list)

    @property
    def formatted_receipt(self) -> str:
        """Return the receipt grouped 4-4-4-4 for reading and copying."""
        return vault.format_receipt(self.receipt)


@dataclass(frozen=True)
class FollowupView(ThreadView):
    """Everything the follow-up inbox shows: the coarse status and the thread as the reporter reads it
    (``messages`` from "You" or "Inspektorat", never an officer's name, and ``attachments``)."""

    number: str
    kind: str
    received_at: datetime
    status: PublicStatus
    thread: Thread
    # The case is closed and its reporter has not answered the satisfaction survey yet.
    survey_open: bool = False


# --- Content ---------------------------------------------------------------------------------------------
def _excluded_ids(data: Mapping[str, Any]) -> list[int]:
    wanted = {int(v) for v in data.get("exclude_recipients") or []}
    return sorted(wanted & roster().candidate_ids())


# --- Acknowledgements ------------------------------------------------------------------------------------
def _day(value: date) -> str:
    return value.strftime("%d-%m-%Y")


def wbs_acknowledgement(*, number: str, received_on: date, rules: Deadlines | None = None) -> str:
    """Return the automatic first message of a WBS case: what happens next and the deadlines."""
    rules = rules or deadlines()
    return "\n\n".join(
        [
            _("Thank you. Your report %(number)s was received on %(date)s.")
            % {"number": number, "date": _day(received_on)},
            _(
                "What happens next: the Inspektorat checks whether the report can be processed. If something is "
                "missing, we ask you here, in this inbox."
            ),
            _(
                "A report that needs no examination is answered within %(short)d working days (by %(short_date)s). "
                "A report that needs an examination is handled within %(long)d working days (by %(long_date)s)."
            )
            % {
                "short": rules.working_days_for("ADUAN_TIDAK_BERKADAR", on=received_on),
                "short_date": _day(rules.due_date("ADUAN_TIDAK_BERKADAR", start=received_on)),
                "long": rules.working_days_for("ADUAN_BERKADAR", on=received_on),
                "long_date": _day(rules.due_date("ADUAN_BERKADAR", start=received_on)),
            },
            _(
                "Come back with your receipt to read our messages and answer them. We cannot reach you in any other "
                "way. Keep the receipt safe and do not make the report public."
            ),
        ]
    )


def gratification_acknowledgement(
    *,
    number: str,
    received_on: date,
    gift_received_on: date,
    is_refusal: bool,
    warnings: Sequence[str],
    rules: Deadlines | None = None,
) -> str:
    """Return the automatic first message of a gratification case: what happens next and the deadlines."""
    rules = rules or deadlines()
    parts = [
        _("Thank you. Your gratification report %(number)s was received by the UPG on %(date)s.")
        % {"number": number, "date": _day(received_on)},
        _(
            "The UPG verifies the report and forwards it to the KPK within %(days)d working days (by %(date)s). "
            "If information is missing we ask you here; you then have %(complete)d working days to complete it."
        )
        % {
            "days": rules.working_days_for("GRAT_UPG_TERUSKAN", on=received_on),
            "date": _day(rules.due_date("GRAT_UPG_TERUSKAN", start=received_on)),
            "complete": rules.working_days_for("GRAT_LENGKAPI", on=received_on),
        },
        _(
            "The KPK decides who owns the gift within %(decide)d working days of a complete report, and its "
            "decision letter (SK) reaches you within %(send)d working days after that."
        )
        % {
            "decide": rules.working_days_for("KPK_PENETAPAN", on=received_on),
            "send": rules.working_days_for("SK_KIRIM", on=received_on),
        },
    ]
    if not is_refusal:
        parts.append(
            _(
                "The law requires a gift to reach the KPK within %(days)d working days of receiving it. For a gift "
                "received on %(gift)s that is %(date)s at the latest (counting the day of receipt)."
            )
            % {
                "days": rules.working_days_for("GRAT_LAPOR_KPK", on=gift_received_on),
                "gift": _day(gift_received_on),
                "date": _day(rules.due_date("GRAT_LAPOR_KPK", start=gift_received_on, count_start_day=True)),
            }
        )
    parts.extend(warnings)
    parts.append(_("Come back with your receipt to read our messages and answer them. Keep the receipt safe."))
    return "\n\n".join(parts)


# --- Submission ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SubmittedFiles:
    """The files of one submission: new evidence, new recordings of the reporter's voice, files held before."""

    attachments: Sequence[UploadedFile[bytes]] = ()
    voice_recordings: Sequence[UploadedFile[bytes]] = ()
    held: HeldSelection | None = None


def _inspect_all(
    uploads: Sequence[UploadedFile[bytes]],
    voice_recordings: Sequence[UploadedFile[bytes]] = (),
    *,
    send_uncleaned: bool,
    held: Sequence[CleanAttachment] = (),
) -> list[CleanAttachment]:
    """Check and clean every upload before anything is written; refuse them all if one is refused.

    Files that cannot be cleaned are refused together, in one message naming each (and in
    ``SubmissionRejected.uncleanable``), unless ``send_uncleaned`` (files held from an earlier try that were kept
    uncleaned count too). ``voice_recordings`` are the reporter's own voice: they are disguised
    (``intake/voice.py``) instead of cleaned, within one duration budget for the whole submission. ``held`` files
    count against the limit.
    """
    cleaned: list[CleanAttachment] = []
    uncleanable: list[str] = []
    try:
        check_attachment_count(len(uploads) + len(voice_recordings) + len(held))
        for upload in uploads:
            try:
                cleaned.append(inspect_and_clean(upload, send_uncleaned=send_uncleaned))
            except RejectedAttachment as exc:
                if exc.code != "uncleanable":
                    raise
                uncleanable.append(exc.file_name)
        if not send_uncleaned:
            uncleanable += [item.original_name for item in held if not item.metadata_removed]
        if uncleanable:
            raise SubmissionRejected(uncleanable_message(uncleanable), uncleanable=uncleanable)
        budget = VoiceBudget()
        for upload in voice_recordings:
            try:
                cleaned.append(inspect_and_clean(upload, disguise=budget))
            except RejectedAttachment as exc:
                raise SubmissionRejected(exc.message, field="voice_recordings") from exc
    except RejectedAttachment as exc:
        _close_all(cleaned)
        raise SubmissionRejected(exc.message) from exc
    except BaseException:
        _close_all(cleaned)
        raise
    return cleaned


def _close_all(cleaned: Sequence[CleanAttachment]) -> None:
    for item in cleaned:
        item.close()


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_spent(*, token: str) -> bool:
    """Return True when a report was sent with the form token ``token`` (in the last two days)."""
    cutoff = timezone.now() - TOKEN_MEMORY
    return bool(token) and SubmissionToken.objects.filter(digest=_token_digest(token), used_at__gte=cutoff).exists()


def _spend_token(token: str, *, now: datetime) -> None:
    """Record the form's one-time token as used; raise AlreadySubmitted if it was used before.

    Runs first in the submission's transaction and needs no savepoint: a duplicate ends the whole
    transaction, which has written nothing else yet. Spent tokens older than two days are deleted by
    ``purge_spent_tokens`` (hourly), not here, so a submission does not pay for the purge.
    """
    try:
        insert_rows([new_row(SubmissionToken, digest=_token_digest(token), used_at=now)])
    except IntegrityError as exc:
        raise AlreadySubmitted() from exc


def purge_spent_tokens() -> int:
    """Delete the spent form tokens older than two days; return how many (run hourly by Celery beat)."""
    with transaction.atomic():
        deleted, _by_model = SubmissionToken.objects.filter(used_at__lt=timezone.now() - TOKEN_MEMORY).delete()
    return deleted


def _delete_blobs(names: Sequence[str]) -> None:
    for name in names:
        try:
            vault.delete_attachment(name=name)
        except Exception:  # noqa: S112 - best effort: the original failure is what the caller must see
            continue


@dataclass(frozen=True)
class Recording:
    """A report an officer records from another channel: which channel, who, and when it was received."""

    channel: str
    officer: StaffUser
    received_at: datetime


# Stands for the case number in an acknowledgement written before the number exists (it is allocated last,
# inside the transaction); replaced there. It cannot occur in the translated text around it.
_NUMBER = "\x00number\x00"


def _write_files(
    *, access: vault.Access, case: Case, cleaned: Sequence[CleanAttachment], on_stored: Callable[[str], None]
) -> list[CaseAttachment]:
    """Encrypt a submission's or a follow-up's files into storage before its transaction; return the
    attachments, unsaved (``sealed.save_attachments`` records them in the transaction)."""
    written = []
    for item in cleaned:
        try:
            written.append(
                sealed.write_attachment(
                    access=access,
                    case=case,
                    chunks=item.chunks,
                    original_name=item.original_name,
                    content_type=item.content_type,
                    metadata_removed=item.metadata_removed,
                    on_stored=on_stored,
                )
            )
        except RejectedAttachment as exc:  # a cleaner may refuse while streaming
            raise SubmissionRejected(exc.message) from exc
    return written


def _may_hold_files(case: Case, held: HeldSelection | None) -> bool:
    """Return whether files may be held under the submission's form token (then they are the case's now, or
    were unticked, and are deleted with it).

    Only the web form holds files (``intake/held.py``), and it tells whether its token held any when the form
    was read. Files held later under the same token by a concurrent request, or under a token an API client
    reused from a form, expire with the others (``vault.purge_expired_held_files``, after an hour).
    """
    if case.channel == Channel.API:
        return False
    return held is None or held.held_any


@reporter_time()  # every time this request stores is coarse (audit/clock.py)
def _submit(
    *,
    kind: CaseKind,
    data: Mapping[str, Any],
    files: SubmittedFiles,
    metadata: Mapping[str, Any],
    acknowledgement: Callable[[str, date, Deadlines], str],
    warnings: list[str],
    channel: str = Channel.WEB,
    gift_received_on: date | None = None,
    is_refusal: bool = False,
    recording: Recording | None = None,
) -> Submission:
    """Store a report: everything slow first, then one short transaction (tried again while the database is busy).

    Before the transaction, nothing written to the database: the files are cleaned and encrypted into storage,
    the receipt is derived (Argon2id), the data key sealed to the recipients and the escrow key, the content
    sealed, the clocks and the acknowledgement counted. The transaction then spends the form token, takes the
    case number (a locked row, taken late), inserts the rows and appends the audit events in one append, last.
    """
    content, identity = split_report_data(data)
    content["language"] = get_language() or ""
    excluded = _excluded_ids(data) if kind == CaseKind.WBS else []
    token = str(data.get("submission_token") or "")
    if files.held is not None and files.held.token != token:
        raise ValueError("held files belong to another form token")
    held = files.held.as_attachments() if files.held is not None else []
    cleaned = _inspect_all(
        files.attachments, files.voice_recordings, send_uncleaned=bool(data.get("send_uncleaned")), held=held
    )
    stored_names: list[str] = []
    try:
        now = clock_now()  # rounded down to the reporter granularity; the local date (deadlines) is kept
        received_at = recording.received_at if recording is not None else now
        today = timezone.localdate(received_at)
        case = new_row(
            Case,
            id=uuid.uuid4(),
            kind=kind,
            status=INITIAL_STATUS[kind],
            received_at=received_at,
            identity_given=bool(identity),
            channel=recording.channel if recording is not None else channel,
            **metadata,
        )
        # The receipt's Argon2id derivation (queued per process by the vault) and all sealing happen here,
        # before the write transaction, so neither ever holds the database's write lock.
        kept = roster()
        prepared = vault.prepare_report(
            report_id=case.id,
            recipients=kept.keys_without(excluded),
            identity=sealed.json_bytes(identity) if identity else None,
            escrow_public=kept.escrow_public,
        )
        access = prepared.access
        case.content = sealed.seal_content(access=access, case=case, content=content)
        rules = recent_deadlines()
        clocks = initial_clocks(case=case, gift_received_on=gift_received_on, is_refusal=is_refusal, rules=rules)
        thanks = acknowledgement(_NUMBER, today, rules)
        attachments = _write_files(access=access, case=case, cleaned=[*cleaned, *held], on_stored=stored_names.append)

        def write() -> None:
            with audit_batch():
                if token:
                    _spend_token(token, now=now)
                # The sequence row stays locked until commit, so it is taken after everything slow.
                case.number = allocate_case_number(kind=kind, year=today.year)
                insert_rows([case])
                if excluded:
                    case.excluded_recipients.set(excluded)
                vault.store_report(prepared=prepared, case_ref=case.number)
                sealed.save_attachments(case=case, attachments=attachments)
                if token and _may_hold_files(case, files.held):
                    vault.release_held_files(token=token)
                save_initial_clocks(case=case, clocks=clocks)
                first_message = sealed.new_message(
                    access=access,
                    case=case,
                    sender=CaseMessage.Sender.INSPECTORATE,
                    body=thanks.replace(_NUMBER, case.number),
                    first=True,
                )
                insert_rows([first_message])
                details: dict[str, str | int | bool | None] = {
                    "kind": str(kind),
                    "report_id": str(case.id),
                    "attachments": len(attachments),
                    "attachments_uncleaned": sum(not item.metadata_removed for item in attachments),
                    "voice_disguised": len(files.voice_recordings),
                    "identity_given": bool(identity),
                }
                if recording is not None:  # another channel: the officer who recorded it answers for it
                    details.update(channel=recording.channel, received_on=today.isoformat())
                audit_record(
                    action=Action.REPORT_SUBMITTED,
                    actor=recording.officer if recording is not None else "reporter",
                    case_ref=case.number,
                    details=details,
                )

        run_in_transaction(write)
    except BaseException:
        _close_all(cleaned)
        _delete_blobs(stored_names)
        raise
    return Submission(
        case=case,
        receipt=prepared.receipt,
        warnings=warnings,
        uncleaned_files=[item.original_name for item in [*cleaned, *held] if not item.metadata_removed],
    )


def submit_wbs_report(
    *,
    data: Mapping[str, Any],
    attachments: Sequence[UploadedFile[bytes]] = (),
    voice_recordings: Sequence[UploadedFile[bytes]] = (),
    held: HeldSelection | None = None,
    channel: str = Channel.WEB,
    recording: Recording | None = None,
) -> Submission:
    """Store a whistleblowing report from validated ``WbsReportForm`` data and return its receipt.

    ``channel`` records how it arrived (the web form by default; the JSON API passes ``api``); ``recording`` is
    set instead when an officer records a report received by another channel (``record_report``).

    ``identity_*`` fields, when given, are sealed separately through the vault; ``exclude_recipients`` lists
    staff ids whose keys are not used; ``send_uncleaned`` keeps files that cannot be cleaned as they are (listed
    in ``Submission.uncleaned_files``). ``voice_recordings`` are disguised before sealing; ``held`` are files
    held for this form after an earlier error (its token must be ``submission_token``). Raises
    ``SubmissionRejected`` when an attachment is refused and ``AlreadySubmitted`` when ``submission_token`` was
    spent before.
    """
    return _submit(
        kind=CaseKind.WBS,
        data=data,
        files=SubmittedFiles(attachments, voice_recordings, held),
        metadata={
            "violation_type": data.get("violation_type") or "",
            "organisation": data.get("organisation"),
        },
        acknowledgement=lambda number, today, rules: wbs_acknowledgement(number=number, received_on=today, rules=rules),
        warnings=[],
        channel=channel,
        recording=recording,
    )


def submit_gratification_report(
    *,
    data: Mapping[str, Any],
    attachments: Sequence[UploadedFile[bytes]] = (),
    voice_recordings: Sequence[UploadedFile[bytes]] = (),
    held: HeldSelection | None = None,
    channel: str = Channel.WEB,
    recording: Recording | None = None,
) -> Submission:
    """Store a gratification report (receipt or refusal) from validated ``GratificationReportForm`` data.

    Returns the receipt and the exemption warnings for the gift (a warning never blocks the report). Files
    as for ``submit_wbs_report``. Raises ``SubmissionRejected`` when an attachment is refused and
    ``AlreadySubmitted`` for a spent token.
    """
    is_refusal = data.get("report_type") == "refusal"
    gift_received_on: date = data["received_on"]
    warnings = gift_warnings(
        Gift(
            received_on=gift_received_on,
            value=Decimal(data["value"]),
            currency=str(data.get("currency") or "IDR"),
            gift_type=str(data.get("gift_type") or ""),
            occasion=str(data.get("occasion") or ""),
            relationship=str(data.get("giver_relationship") or ""),
        )
    )
    return _submit(
        kind=CaseKind.GRATIFICATION,
        data=data,
        files=SubmittedFiles(attachments, voice_recordings, held),
        metadata={
            "gift_type": data.get("gift_type") or "",
            "organisation": data.get("organisation"),
            "is_refusal": is_refusal,
            # Statistics and the statutory clock: the value's band and the gift's date, never the words.
            "gift_value_band": gift_value_band(data.get("value"), str(data.get("currency") or "IDR")),
            "gift_received_on": gift_received_on,
        },
        acknowledgement=lambda number, today, rules: gratification_acknowledgement(
            number=number,
            received_on=today,
            gift_received_on=gift_received_on,
            is_refusal=is_refusal,
            warnings=warnings,
            rules=rules,
        ),
        warnings=warnings,
        channel=channel,
        gift_received_on=gift_received_on,
        is_refusal=is_refusal,
        recording=recording,
    )


# --- Other channels (issue 11 item 8) -------------------------------------------------------------------------
def record_report(
    *,
    kind: CaseKind,
    data: Mapping[str, Any],
    attachments: Sequence[UploadedFile[bytes]] = (),
    voice_recordings: Sequence[UploadedFile[bytes]] = (),
    held: HeldSelection | None = None,
    channel: str,
    received_on: date,
    officer: StaffUser,
) -> Submission:
    """Store a report an officer received by phone, fax, SMS/WhatsApp, e-mail, letter, in person, LAPOR!/SP4N or
    from the KPK, exactly as a web report of ``kind`` is stored (same form data, cleaning, sealing, receipt).

    The case records ``channel`` and is received on ``received_on`` (today: now; an earlier day: its start,
    Asia/Jakarta), which its clocks count from. The ``REPORT_SUBMITTED`` event names the officer as actor, the
    channel and the day. Raises ``SubmissionRejected`` for a channel an officer cannot record (web, API) or a day
    in the future, and everything ``submit_wbs_report`` / ``submit_gratification_report`` raise.
    """
    if channel not in {choice.value for choice in RECORDED_CHANNELS}:
        raise SubmissionRejected(_("Choose how the report was received."), field="channel")
    today = timezone.localdate()
    if received_on > today:
        raise SubmissionRejected(_("The day of receipt cannot be in the future."), field="received_on")
    received_at = (
        timezone.now()
        if received_on == today
        else timezone.make_aware(datetime.combine(received_on, datetime.min.time()))
    )
    recording = Recording(channel=channel, officer=officer, received_at=received_at)
    submit = submit_wbs_report if kind == CaseKind.WBS else submit_gratification_report
    return submit(data=data, attachments=attachments, voice_recordings=voice_recordings, held=held, recording=recording)


# --- Follow-up -------------------------------------------------------------------------------------------
@reporter_time()
def open_followup(*, receipt: str, channel: str = "web") -> vault.ReporterAccess:
    """Return the vault's reporter access for ``receipt``, auditing the login or the failed attempt.

    Raises ``vault.exceptions.UnknownReceipt`` (with a reporter-facing ``message``) for a wrong receipt.
    """
    try:
        access = vault.reporter_access(receipt=vault.normalise_receipt(receipt))
    except UnknownReceipt:
        with transaction.atomic():
            audit_record(action=Action.FOLLOWUP_FAILED, actor="reporter", details={"channel": channel})
        raise
    with transaction.atomic():
        case = Case.objects.get(pk=access.report_id)
        audit_record(action=Action.FOLLOWUP_LOGIN, actor="reporter", case_ref=case.number, details={"channel": channel})
    return access


def followup_login(*, receipt: str) -> str:
    """Open the follow-up inbox for ``receipt`` and return the value of the one follow-up cookie."""
    access = open_followup(receipt=receipt)
    return vault.followup_begin(access=access)


def followup_overview(*, access: vault.ReporterAccess) -> FollowupView:
    """Return the coarse status, the messages (opened) and the files of the reporter's case. Writes nothing."""
    case = Case.objects.get(pk=access.report_id)
    return FollowupView(
        number=case.number,
        kind=case.kind,
        received_at=case.received_at,
        status=PublicStatus(case.public_status),
        thread=open_thread(access=access, case=case, reader=Reader.REPORTER),
        survey_open=survey_open_for(case),
    )


def followup_mark_read(*, view: FollowupView) -> None:
    """Mark the Inspektorat's messages the reporter was just shown as read by the reporter."""
    mark_thread_read(thread=view.thread)


@reporter_time()
def answer_survey(*, access: vault.ReporterAccess, scores: Mapping[str, object], comment: str = "") -> None:
    """Store the reporter's answer to the satisfaction survey for their (closed) case, anonymously.

    Raises ``SurveyRefused`` (400 wrong answers, 409 open or already answered case); nothing is stored then.
    """
    case = Case.objects.get(pk=access.report_id)
    survey_submit(case=case, scores=scores, comment=comment)


@reporter_time()
def post_reporter_message(*, access: vault.ReporterAccess, body: str) -> CaseMessage:
    """Add the reporter's message to their case (sealed) and audit it."""
    with transaction.atomic():
        case = Case.objects.get(pk=access.report_id)
        message = sealed.add_message(access=access, case=case, sender=CaseMessage.Sender.REPORTER, body=body)
        audit_record(action=Action.REPORTER_MESSAGE, actor="reporter", case_ref=case.number)
    return message


@reporter_time()
def add_reporter_attachment(
    *,
    access: vault.ReporterAccess,
    attachments: Sequence[UploadedFile[bytes]] = (),
    voice_recordings: Sequence[UploadedFile[bytes]] = (),
    send_uncleaned: bool = False,
) -> list[CaseAttachment]:
    """Clean, encrypt and store files the reporter adds to their case; audit each one.

    ``voice_recordings`` are disguised first. Raises ``SubmissionRejected`` (nothing stored) when a file is
    refused, including a file that cannot be cleaned unless ``send_uncleaned``.
    """
    cleaned = _inspect_all(attachments, voice_recordings, send_uncleaned=send_uncleaned)
    stored_names: list[str] = []
    try:
        case = Case.objects.get(pk=access.report_id)
        # Encrypted into storage before the transaction, as for the first submission: it only records them.
        stored = _write_files(access=access, case=case, cleaned=cleaned, on_stored=stored_names.append)
        with transaction.atomic():
            sealed.save_attachments(case=case, attachments=stored)
            for item in stored:
                audit_record(
                    action=Action.REPORTER_ATTACHMENT,
                    actor="reporter",
                    case_ref=case.number,
                    details={"metadata_removed": item.metadata_removed},
                )
    except BaseException:
        _close_all(cleaned)
        _delete_blobs(stored_names)
        raise
    return stored


def followup_logout(*, cookie_value: str) -> None:
    """End the follow-up session (the server-side half becomes useless)."""
    vault.followup_end(cookie_value=cookie_value)
