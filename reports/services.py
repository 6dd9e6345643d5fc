"""Use cases of the reports package: make a signed export, ask for one in the background, run a queued one.

Every export follows the same steps, whoever asks (console, Celery task, ``manage.py export_report``):

1. sign (or reuse) the latest audit checkpoint, which the PDF embeds;
2. gather the kind's data (statistics, audit events, or case content opened with the officer's keyring);
3. render the PDF/A document and sign it (PAdES) - slow work, outside any database transaction;
4. in one short transaction, record the audit event with the document's SHA-256 (and, for background
   exports, store the signed PDF).

Content kinds (dossier, kpk-forwarding, forwarding) run only in the caller's own process with their keyring:
never through the broker, never stored. Background kinds (recap, audit-trail) hold no content.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.models import AuditEvent
from audit.services import record as audit_record
from casework.models import CaseKind, Organisation, StaffUser
from casework.outbox import relay as outbox
from reports import audit_trail, case_documents, recap, service_standard, transparency
from reports.checkpoint import ATTACHMENT_NAME, EmbeddedCheckpoint, embed_current_checkpoint
from reports.exceptions import ExportRefused, ReportError, ReportInputError
from reports.kinds import BACKGROUND_KINDS, CASE_KINDS, CONTENT_KINDS, PUBLIC_KINDS, Authority, ExportKind
from reports.models import ReportExport
from reports.periods import Period
from reports.permissions import can_export
from reports.redaction import Redactor
from reports.rendering import PdfAttachment, render_pdf
from reports.signing import SignedPdf, sign_pdf
from vault.access import Keyring

logger = logging.getLogger(__name__)

Progress = Callable[[int, str], None]
Actor = StaffUser | str


@dataclass(frozen=True)
class ExportRequest:
    """What to export. ``period`` for period kinds, ``case_ref`` for case kinds (and optionally audit-trail)."""

    kind: ExportKind
    period: Period | None = None
    case_ref: str = ""
    # Recap filters
    case_kind: str = ""
    organisation: Organisation | None = None
    # Forwarding package
    authority: str = ""
    reference: str = ""
    parts: tuple[str, ...] = ()
    passages: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportResult:
    """A finished export: the signed PDF, its download name and the audit event that records it."""

    signed: SignedPdf
    filename: str
    event: AuditEvent


@dataclass
class _Prepared:
    template: str
    title: str
    context: dict[str, Any]
    action: Action = Action.EXPORT_CREATED
    details: dict[str, str | int | bool | None] = field(default_factory=dict)
    attachments: list[PdfAttachment] = field(default_factory=list)


def _label(user: Actor) -> str:
    if isinstance(user, StaffUser):
        return user.get_full_name() or user.username
    return _("system (command line)")


def _check_allowed(kind: ExportKind, actor: Actor, keyring: Keyring | None) -> None:
    if isinstance(actor, StaffUser):
        if not can_export(actor, kind):
            raise ExportRefused(_("Your role may not make this export (%(kind)s).") % {"kind": kind.label})
    elif kind in CONTENT_KINDS:
        raise ExportRefused(_("Exports with report content are made by a staff member who holds the case keys."))
    if kind in CONTENT_KINDS and (keyring is None or keyring.user != actor):
        raise ExportRefused(_("Exports with report content need your unlocked key: log in again."))


def _period_details(period: Period | None) -> dict[str, str | int | bool | None]:
    if period is None:
        return {}
    return {"period_from": period.start.isoformat(), "period_to": period.end.isoformat()}


def _require_period(request: ExportRequest) -> Period:
    if request.period is None:
        raise ReportInputError(_("Choose a period."))
    return request.period


def _prepare_recap(request: ExportRequest, progress: Progress, **_kw: Any) -> _Prepared:
    period = _require_period(request)
    if request.case_kind and request.case_kind not in CaseKind.values:
        raise ReportInputError(_("Unknown kind of report %(kind)r.") % {"kind": request.case_kind})
    figures = recap.build_recap(
        recap.RecapFilters(period=period, kind=request.case_kind, organisation=request.organisation),
        progress=lambda percent, step: progress(10 + percent * 6 // 10, step),
    )
    details: dict[str, str | int | bool | None] = {"cases": figures.total}
    if request.case_kind:
        details["case_kind"] = request.case_kind
    if request.organisation is not None:
        details["organisation"] = request.organisation.code
    return _Prepared(
        template="reports/pdf/recap.html",
        title=str(_("Statistical recapitulation of reports")),
        context={"recap": figures, "kind_label": CaseKind(request.case_kind).label if request.case_kind else ""},
        details=details,
    )


def _prepare_service_standard(request: ExportRequest, **_kw: Any) -> _Prepared:
    return _Prepared(
        template="reports/pdf/service_standard.html",
        title=str(_("Service standard")),
        context={"standards": service_standard.service_standards(), "pledge": service_standard.service_pledge()},
        details={},
    )


def _prepare_annual(request: ExportRequest, progress: Progress, **_kw: Any) -> _Prepared:
    period = _require_period(request)
    figures = recap.build_recap(
        recap.RecapFilters(period=period),
        tables=recap.PUBLIC_TABLES,
        progress=lambda percent, step: progress(10 + percent * 6 // 10, step),
    )
    return _Prepared(
        template="reports/pdf/annual.html",
        title=str(_("Annual transparency report %(year)s") % {"year": period.start.year}),
        context={
            "recap": figures,
            "year": period.start.year,
            "standards": service_standard.service_standards(),
            "pledge": service_standard.service_pledge(),
            "state_property": transparency.state_property(figures),
        },
        details={"cases": figures.total, "year": period.start.year},
    )


def _prepare_audit_trail(
    request: ExportRequest, progress: Progress, checkpoint: EmbeddedCheckpoint, **_kw: Any
) -> _Prepared:
    if request.period is None and not request.case_ref:
        raise ReportInputError(_("Choose a period or a case."))
    progress(20, "events")
    trail = audit_trail.build_audit_trail(checkpoint=checkpoint, period=request.period, case_ref=request.case_ref)
    progress(60, "render")
    return _Prepared(
        template="reports/pdf/audit_trail.html",
        title=str(_("Audit trail")),
        context={"trail": trail},
        details={"events": len(trail.events)},
        attachments=[
            PdfAttachment(
                "inclusion-proofs.json", trail.proofs_json().encode(), str(_("Inclusion proof of every event"))
            )
        ],
    )


def _prepare_dossier(request: ExportRequest, keyring: Keyring, **_kw: Any) -> _Prepared:
    case = case_documents.find_case(request.case_ref)
    document = case_documents.case_document(keyring=keyring, case=case)
    return _Prepared(
        template="reports/pdf/dossier.html",
        title=str(_("Case dossier %(number)s") % {"number": case.number}),
        context={"doc": document},
    )


def _prepare_kpk(request: ExportRequest, keyring: Keyring, **_kw: Any) -> _Prepared:
    period = _require_period(request)
    batch = case_documents.gratification_batch(keyring=keyring, period=period)
    return _Prepared(
        template="reports/pdf/kpk_forwarding.html",
        title=str(_("Gratification reports for forwarding to the KPK")),
        context={"batch": batch},
        details={"cases": len(batch.documents), "not_held": batch.not_held},
    )


REDACTION_MARK_TEXT = "████"
REFERENCE = re.compile(r"[A-Za-z0-9./ -]{0,64}")


def _prepare_forwarding(request: ExportRequest, keyring: Keyring, **_kw: Any) -> _Prepared:
    if request.authority not in Authority.values:
        raise ReportInputError(_("Choose who the package is for (KPK, Kejaksaan, Polri or APIP)."))
    if not request.parts:
        raise ReportInputError(_("Choose at least one part of the case to send."))
    if not REFERENCE.fullmatch(request.reference):
        raise ReportInputError(_("The letter reference may hold letters, digits, spaces and . / - only (64 at most)."))
    case = case_documents.find_case(request.case_ref)
    redactor = Redactor(list(request.passages), mark=REDACTION_MARK_TEXT)
    document = case_documents.select_parts(
        case_documents.case_document(keyring=keyring, case=case, redact=redactor), list(request.parts)
    )
    unused = redactor.unused()
    if unused:
        # A passage that matched nothing is usually a typo: the officer believes it is hidden when it is not.
        raise ReportInputError(
            _("These passages to redact do not occur in the case and nothing was exported: %(passages)s")
            % {"passages": "; ".join(f"“{p[:60]}”" for p in unused)}
        )
    parts = ",".join(request.parts)
    return _Prepared(
        template="reports/pdf/forwarding.html",
        title=str(_("Forwarding package %(number)s") % {"number": case.number}),
        context={
            "doc": document,
            "authority_label": Authority(request.authority).label,
            "reference": request.reference,
            "redactions": redactor.count,
            "mark": REDACTION_MARK_TEXT,
        },
        action=Action.FORWARDING_EXPORTED,
        details={
            "recipient": request.authority,
            "reference": request.reference or None,
            "parts": parts if len(parts) <= 200 else parts[:199] + "…",
            "redacted_passages": len(request.passages),
            "redactions": redactor.count,
        },
    )


_PREPARE: dict[ExportKind, Callable[..., _Prepared]] = {
    ExportKind.RECAP: _prepare_recap,
    ExportKind.AUDIT_TRAIL: _prepare_audit_trail,
    ExportKind.DOSSIER: _prepare_dossier,
    ExportKind.KPK_FORWARDING: _prepare_kpk,
    ExportKind.FORWARDING: _prepare_forwarding,
    ExportKind.ANNUAL: _prepare_annual,
    ExportKind.SERVICE_STANDARD: _prepare_service_standard,
}


def export_filename(request: ExportRequest) -> str:
    """Return the download name of an export, e.g. ``peluit-dossier-WBS-2026-000001.pdf``."""
    parts = ["peluit", request.kind.value]
    if request.case_ref:
        parts.append(request.case_ref)
    if request.period is not None:
        parts += [request.period.start.isoformat(), request.period.end.isoformat()]
    return "-".join(parts) + ".pdf"


def make_export(
    *,
    request: ExportRequest,
    actor: Actor,
    keyring: Keyring | None = None,
    language: str | None = None,
    progress: Progress | None = None,
    on_recorded: Callable[[SignedPdf, AuditEvent], None] | None = None,
) -> ExportResult:
    """Make, sign and audit one export; return the signed PDF.

    ``actor`` is the staff member (or ``"system"`` for the command line without ``--as``, non-content kinds
    only); content kinds need the actor's own ``keyring``. ``on_recorded`` runs inside the transaction that
    records the audit event (the background task stores the PDF there). Kinds meant for the public
    (``PUBLIC_KINDS``) embed the published checkpoint and sign none (``NoPublishedCheckpoint`` before the first).
    Raises ``ReportInputError``, ``ExportRefused``, ``AuditLogAltered`` (the audit log does not verify or cannot
    be read) or ``SigningUnavailable`` with a message for the user; nothing is recorded then.
    """
    report = progress or (lambda _percent, _step: None)
    kind = request.kind
    _check_allowed(kind, actor, keyring)
    if kind in CASE_KINDS and not request.case_ref:
        raise ReportInputError(_("Choose a case (its number, e.g. WBS-2026-000001)."))
    report(5, "checkpoint")
    checkpoint = embed_current_checkpoint(published_only=kind in PUBLIC_KINDS)
    # The whole document (titles, labels, the recap's tables) in one language: the caller's, else the default.
    with translation.override(language or settings.LANGUAGE_CODE):
        prepared = _PREPARE[kind](request, progress=report, keyring=keyring, checkpoint=checkpoint)
        report(70, "render")
        pdf = render_pdf(
            template=prepared.template,
            title=prepared.title,
            context={**prepared.context, "checkpoint": checkpoint, "requested_by": _label(actor)},
            attachments=[
                PdfAttachment(
                    ATTACHMENT_NAME, checkpoint.note.encode(), str(_("Signed audit checkpoint (C2SP signed note)"))
                ),
                *prepared.attachments,
            ],
        )
    report(90, "sign")
    signed = sign_pdf(pdf, reason=prepared.title)
    with transaction.atomic():
        event = audit_record(
            action=prepared.action,
            actor=actor,
            case_ref=request.case_ref,
            details={
                "kind": kind.value,
                "sha256": signed.sha256,
                "pades": signed.level,
                "checkpoint_size": checkpoint.tree_size,
                **_period_details(request.period),
                **prepared.details,
            },
        )
        if on_recorded is not None:
            on_recorded(signed, event)
    report(100, "done")
    return ExportResult(signed=signed, filename=export_filename(request), event=event)


# --- Background exports ------------------------------------------------------------------------------------
def _request_from_row(export: ReportExport) -> ExportRequest:
    period = Period(export.period_start, export.period_end) if export.period_start and export.period_end else None
    return ExportRequest(
        kind=ExportKind(export.kind),
        period=period,
        case_ref=export.case_ref,
        case_kind=export.case_kind,
        organisation=export.organisation,
    )


@transaction.atomic
def request_export(*, user: StaffUser, request: ExportRequest, language: str) -> ReportExport:
    """Queue a recap or audit-trail export for ``user`` on the ``reports`` queue and return its row.

    Raises ``ExportRefused`` or ``ReportInputError``; the Celery task gets only the export's id, through the
    outbox (``casework.outbox``): the request never waits on the broker beyond ``PELUIT_BROKER_TIMEOUT``.
    """
    from reports import tasks

    if request.kind not in BACKGROUND_KINDS:
        raise ReportInputError(_("This kind is made in your own request, not in the background."))
    _check_allowed(request.kind, user, None)
    if request.kind == ExportKind.AUDIT_TRAIL:
        if request.period is None and not request.case_ref:
            raise ReportInputError(_("Choose a period or a case."))
        audit_trail.check_case_ref(request.case_ref)
    elif request.period is None:
        raise ReportInputError(_("Choose a period."))
    export = ReportExport.objects.create(
        kind=request.kind,
        requested_by=user,
        language=language,
        period_start=request.period.start if request.period else None,
        period_end=request.period.end if request.period else None,
        case_ref=request.case_ref,
        case_kind=request.case_kind,
        organisation=request.organisation,
    )
    audit_record(
        action=Action.EXPORT_REQUESTED,
        actor=user,
        case_ref=request.case_ref,
        details={"kind": request.kind.value, "export_id": str(export.pk), **_period_details(request.period)},
    )
    # The task is written in this transaction and sent when it commits, or by the relay if the broker is away.
    outbox.enqueue(task=tasks.generate_export.name, args=[str(export.pk)])
    return export


def _set_progress(export_id: Any, percent: int, step: str) -> None:
    ReportExport.objects.filter(pk=export_id).update(progress=max(0, min(100, percent)), step=step[:64])


def run_export(*, export_id: str) -> ReportExport | None:
    """Make the queued export ``export_id`` (the Celery task's body); return it, or None if not queued.

    A failure is stored on the row with its message and audited; it never raises.
    """
    with transaction.atomic():
        claimed = ReportExport.objects.filter(pk=export_id, status=ReportExport.Status.QUEUED).update(
            status=ReportExport.Status.RUNNING, progress=1
        )
    if not claimed:
        return None
    export = ReportExport.objects.select_related("requested_by", "organisation").get(pk=export_id)

    def store(signed: SignedPdf, _event: AuditEvent) -> None:
        ReportExport.objects.filter(pk=export.pk).update(
            status=ReportExport.Status.DONE,
            progress=100,
            step="done",
            pdf=signed.data,
            sha256=signed.sha256,
            pades_level=signed.level,
            finished_at=timezone.now(),
        )

    try:
        make_export(
            request=_request_from_row(export),
            actor=export.requested_by,
            language=export.language,
            progress=lambda percent, step: _set_progress(export.pk, percent, step),
            on_recorded=store,
        )
    except Exception as exc:
        message = exc.message if isinstance(exc, ReportError) else str(_("An unexpected error stopped the export."))
        if not isinstance(exc, ReportError):
            # Background kinds hold no report content, so the traceback may be logged.
            logger.exception("reports: export %s failed", export.pk)
        with transaction.atomic():
            ReportExport.objects.filter(pk=export.pk).update(
                status=ReportExport.Status.FAILED, error=message, finished_at=timezone.now()
            )
            audit_record(
                action=Action.EXPORT_FAILED,
                actor=export.requested_by,
                case_ref=export.case_ref,
                details={"kind": export.kind, "export_id": str(export.pk), "reason": type(exc).__name__},
            )
    export.refresh_from_db()
    return export
